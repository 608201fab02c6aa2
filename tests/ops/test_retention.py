"""Records retention (feedback.services.retention): old comment text and audit entries go, scores stay.

Comments go in through the phone survey and taps through kiosk ingest, so the rollups the scores
read are the ones production keeps; one old comment is marked spam in the inbox first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import AuditEntry, FollowupDaily, Response, ResponseHourly
from feedback.services import audit, comments, retention, rollups
from feedback.services.actors import CLI
from feedback.services.aggregation import summarize
from tests.helpers.responses import item, kiosk, say

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOV = (date(2026, 10, 1), date(2026, 11, 30))


@pytest.fixture
def world(session, build):
    """C-1: kiosk taps, comments 70, 40 (spam), 20 and 1 days old; audit entries 100, 40 and 5 days old."""
    chicago = build.office("Chicago Field Office", tz="America/Chicago")
    c1 = build.location("C-1", office=chicago)
    device, _ = build.device(c1)
    kiosk(session, device, [item(5, NOW - timedelta(days=70)), item(1, NOW - timedelta(days=3))])
    ids = {
        "oldest": say(session, c1, 2, NOW - timedelta(days=70), "Slow line", choices=("efficiency",)),
        "spam": say(session, c1, 1, NOW - timedelta(days=40), "BUY WATCHES"),
        "month": say(session, c1, 5, NOW - timedelta(days=20), "Helpful staff", choices=("ease",)),
        "new": say(session, c1, 4, NOW - timedelta(days=1), "Fine, thanks"),
    }
    comments.act(session, CLI, {c1.id}, "mark_spam", [ids["spam"]])
    comments.act(session, CLI, {c1.id}, "flag", [ids["oldest"]])
    with write_transaction(session):
        session.execute(
            AuditEntry.__table__.insert(),
            [
                {
                    "actor": "cli",
                    "action": f"test.{age}",
                    "target_type": "test",
                    "details": {},
                    "at": NOW - timedelta(days=age),
                }
                for age in (100, 40, 5)
            ],
        )
    session.rollback()
    return {"C-1": c1, "ids": ids}


def _scores(session, location_id):
    """What every score reads: the rollup tables and the summary of the quarter."""
    session.rollback()
    hourly = sorted(tuple(r) for r in session.execute(select(ResponseHourly.__table__)) if r.n)
    followups = sorted(tuple(r) for r in session.execute(select(FollowupDaily.__table__)) if r.offered or r.chosen)
    return hourly, followups, summarize(session, [location_id], *NOV)


def _comment(session, response_id):
    session.rollback()
    row = session.get(Response, response_id)
    return row.comment, row.comment_state, row.comment_flagged, row.rating


def _actions(session):
    session.rollback()
    return sorted(session.scalars(select(AuditEntry.action)))


def test_old_comments_are_cleared_recent_ones_kept_and_scores_stay(session, world):
    ids, c1 = world["ids"], world["C-1"]
    before = _scores(session, c1.id)
    inbox_before = comments.tab_counts(session, [c1.id])
    assert inbox_before["open"] == 3 and inbox_before["spam"] == 1 and inbox_before["flagged"] == 1

    result = retention.purge(session, NOW, comment_days=30, audit_days=None)

    assert (result.comments, result.audit_entries) == (2, 0)
    assert result.comment_cutoff == NOW - timedelta(days=30) and result.audit_cutoff is None
    assert _comment(session, ids["oldest"]) == (None, "purged", False, 2)
    assert _comment(session, ids["spam"]) == (None, "spam", False, 1)  # still out of every score
    assert _comment(session, ids["month"]) == ("Helpful staff", "open", False, 5)
    assert _comment(session, ids["new"]) == ("Fine, thanks", "open", False, 4)
    assert comments.tab_counts(session, [c1.id]) == {"open": 2, "flagged": 0, "handled": 0, "archived": 0, "spam": 1}
    assert _scores(session, c1.id) == before
    # A rebuild from the purged responses gives the same rollups: spam still counts nowhere.
    with write_transaction(session):
        rollups.rebuild(session)
    assert _scores(session, c1.id) == before
    # A second run finds nothing more to clear.
    assert retention.purge(session, NOW, comment_days=30, audit_days=None).comments == 0


def test_old_audit_entries_go_and_the_purge_is_audited(session, world):
    comment_actions = ["comment.flag", "comment.mark_spam"]  # written now by the fixture's inbox actions
    assert _actions(session) == sorted([*comment_actions, "test.100", "test.40", "test.5"])

    result = retention.purge(session, NOW, comment_days=60, audit_days=30)

    assert (result.comments, result.audit_entries) == (1, 2)
    assert _actions(session) == sorted([*comment_actions, "retention.purge", "test.5"])
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
    assert entry.actor == "retention" and entry.user_id is None and entry.at == NOW
    assert entry.details == {
        "retention": "1 comments, 2 audit entries",
        "comments": 1,
        "comment_cutoff": (NOW - timedelta(days=60)).isoformat(),
        "comment_days": 60,
        "audit_entries": 2,
        "audit_cutoff": (NOW - timedelta(days=30)).isoformat(),
        "audit_days": 30,
    }
    rows, _next = audit.page(session)
    assert rows[0].entry.id == entry.id and rows[0].target == "retention 1 comments, 2 audit entries"
    assert result.summary() == (
        "Purged 1 comments older than 2026-10-01 12:00 UTC and 2 audit entries older than 2026-10-31 12:00 UTC."
    )


@pytest.mark.parametrize(("comment_days", "audit_days"), [(0, 0), (None, None)])
def test_zero_or_unset_keeps_everything_forever(session, world, comment_days, audit_days):
    ids = world["ids"]
    actions = _actions(session)
    result = retention.purge(session, NOW + timedelta(days=3650), comment_days=comment_days, audit_days=audit_days)
    assert (result.comments, result.audit_entries, result.comment_cutoff, result.audit_cutoff) == (0, 0, None, None)
    assert _comment(session, ids["oldest"]) == ("Slow line", "open", True, 2)
    assert _actions(session) == actions  # not even an entry saying nothing was done
    assert result.summary().startswith("Retention is off")


def test_one_period_off_leaves_that_kind_alone(session, world):
    result = retention.purge(session, NOW, comment_days=0, audit_days=30)
    assert (result.comments, result.audit_entries) == (0, 2)
    assert _comment(session, world["ids"]["oldest"]) == ("Slow line", "open", True, 2)
    assert result.summary() == "Purged 2 audit entries older than 2026-10-31 12:00 UTC. Comments are kept forever."


def test_the_scheduled_job_and_the_command_read_the_settings(app, session, world, runner, monkeypatch):
    config = {"RETENTION_COMMENT_DAYS": 30, "RETENTION_AUDIT_DAYS": 0}
    line = retention.retention_job(session, NOW, config)
    assert line == "Purged 2 comments older than 2026-10-31 12:00 UTC. Audit entries are kept forever."

    monkeypatch.setitem(app.config, "RETENTION_COMMENT_DAYS", 0)
    monkeypatch.setitem(app.config, "RETENTION_AUDIT_DAYS", 50)
    monkeypatch.setitem(app.config, "CLOCK", lambda: NOW)
    done = runner.invoke(args=["retention", "run"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "Purged 1 audit entries older than 2026-10-11 12:00 UTC. Comments are kept forever."
    assert "test.100" not in _actions(session) and "test.40" in _actions(session)
    assert _actions(session).count("retention.purge") == 2


def test_a_purged_comment_is_found_by_no_inbox_action(session, world):
    ids, c1 = world["ids"], world["C-1"]
    retention.purge(session, NOW, comment_days=30, audit_days=0)
    done = comments.act(session, CLI, {c1.id}, "reopen", [ids["oldest"]])
    assert done.changed == [] and done.unchanged == 1
    assert _comment(session, ids["oldest"]) == (None, "purged", False, 2)
    assert [i.text for i in comments.inbox(session, [c1.id], tab="open").items] == ["Fine, thanks", "Helpful staff"]
