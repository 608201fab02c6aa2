"""The comment inbox (feedback.services.comments): listing, the actions, and spam out of every score.

Comments go in through the phone survey's write path (services.phone.submit) and kiosk taps
through ingest, so the rollups the scores read are the ones production keeps.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, text

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import AuditEntry, FollowupDaily, Response, ResponseHourly
from feedback.services import comments, dashboard, rollups
from feedback.services.actors import CLI
from feedback.services.aggregation import summarize
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.responses_query import list_responses
from tests.helpers.responses import item, kiosk, say, utc

D = date.fromisoformat
NOV = (D("2026-11-01"), D("2026-11-30"))


@pytest.fixture
def world(session, build):
    """Chicago: C-1 (faces5) with four phone comments and three kiosk taps, C-2 with one comment.
    Honolulu: H-1 with one comment (another manager's, in the scope tests)."""
    chicago = build.office("Chicago Field Office", tz="America/Chicago")
    honolulu = build.office("Honolulu Field Office", tz="Pacific/Honolulu")
    c1 = build.location("C-1", office=chicago)
    c2 = build.location("C-2", office=chicago)
    h1 = build.location("H-1", office=honolulu)
    device, _ = build.device(c1)
    # Kiosk: 5, 4, 1 on Nov 10 (Chicago) -> 2 of 3 positive.
    kiosk(
        session,
        device,
        [item(5, utc("2026-11-10T15:00")), item(4, utc("2026-11-10T15:05")), item(1, utc("2026-11-10T15:10"))],
    )
    ids = {
        # 2026-11-10 09:20 Chicago
        "slow": say(session, c1, 2, utc("2026-11-10T15:20"), "The line was slow", choices=("efficiency",)),
        # 2026-11-11 21:30 Chicago = 2026-11-12 03:30 UTC: local date the 11th
        "late": say(session, c1, 5, utc("2026-11-12T03:30"), "Great staff, 100% helpful", choices=("ease",)),
        # 2026-11-12 10:00 Chicago
        "buy": say(session, c1, 1, utc("2026-11-12T16:00"), "BUY CHEAP WATCHES www.example.com"),
        # 2026-11-13 10:00 Chicago
        "fine": say(session, c1, 4, utc("2026-11-13T16:00"), "Fine, thanks"),
        "other": say(session, c2, 3, utc("2026-11-13T17:00"), "Parking was hard to find"),
        "hnl": say(session, h1, 5, utc("2026-11-13T20:00"), "Aloha, quick visit"),
    }
    return {"C-1": c1, "C-2": c2, "H-1": h1, "ids": ids, "all": {c1.id, c2.id, h1.id}}


def state(session, response_id):
    session.rollback()
    row = session.execute(
        select(Response.comment_state, Response.comment_flagged).where(Response.id == response_id)
    ).one()
    return row.comment_state, row.comment_flagged


def audit_entries(session, action=None):
    session.rollback()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def snapshot(session):
    """Both rollup tables, emptied buckets left out (taking a response out leaves them at zero)."""
    session.rollback()
    hourly = sorted(tuple(r) for r in session.execute(select(ResponseHourly.__table__)) if r.n != 0)
    followups = sorted(
        tuple(r) for r in session.execute(select(FollowupDaily.__table__)) if (r.offered, r.chosen) != (0, 0)
    )
    return hourly, followups


def texts(page):
    return [i.text for i in page.items]


# --- the inbox ----------------------------------------------------------------------------------


def test_inbox_lists_open_comments_newest_first_with_tab_counts(session, world):
    page = comments.inbox(session, sorted(world["all"]))
    assert texts(page) == [
        "Aloha, quick visit",
        "Parking was hard to find",
        "Fine, thanks",
        "BUY CHEAP WATCHES www.example.com",
        "Great staff, 100% helpful",
        "The line was slow",
    ]
    assert page.counts == {"open": 6, "flagged": 0, "handled": 0, "archived": 0, "spam": 0}
    assert page.next_cursor is None
    first = page.items[2]
    assert (
        first.location.code,
        first.rating,
        first.scale,
        first.channel,
        first.language,
        first.state,
        first.flagged,
    ) == ("C-1", 4, "faces5", "qr", "en", "open", False)
    # Local time in the office's zone: 16:00 UTC is 10:00 in Chicago (CST, UTC-6).
    assert first.local_time.isoformat() == "2026-11-13T10:00:00-06:00"
    assert first.location.office.name == "Chicago Field Office"


def test_inbox_filters_location_text_and_local_dates(session, world):
    c1 = [world["C-1"].id]
    assert texts(comments.inbox(session, c1)) == [
        "Fine, thanks",
        "BUY CHEAP WATCHES www.example.com",
        "Great staff, 100% helpful",
        "The line was slow",
    ]
    # Case-insensitive anywhere; % matches itself only.
    assert texts(comments.inbox(session, c1, q="staff")) == ["Great staff, 100% helpful"]
    assert texts(comments.inbox(session, c1, q="100%")) == ["Great staff, 100% helpful"]
    assert texts(comments.inbox(session, c1, q="0%h")) == []
    # The 21:30 comment is on the 11th in Chicago although it is the 12th in UTC.
    assert texts(comments.inbox(session, c1, start=D("2026-11-11"), end=D("2026-11-11"))) == [
        "Great staff, 100% helpful"
    ]
    assert texts(comments.inbox(session, c1, start=D("2026-11-12"))) == [
        "Fine, thanks",
        "BUY CHEAP WATCHES www.example.com",
    ]
    assert texts(comments.inbox(session, c1, end=D("2026-11-10"))) == ["The line was slow"]
    # Counts follow the filters too.
    assert comments.inbox(session, c1, q="slow").counts["open"] == 1
    # Kiosk taps have no comment: never in the inbox.
    assert len(comments.inbox(session, c1, per_page=50).items) == 4
    assert comments.inbox(session, []).items == []


def test_inbox_pages_by_keyset(session, world):
    ids = sorted(world["all"])
    seen, cursor = [], None
    for _ in range(3):
        page = comments.inbox(session, ids, per_page=2, after=cursor)
        seen += texts(page)
        cursor = page.next_cursor
    assert cursor is None
    assert seen == texts(comments.inbox(session, ids))
    with pytest.raises(InvalidInput):
        comments.inbox(session, ids, after="not-a-cursor")
    with pytest.raises(InvalidInput):
        comments.inbox(session, ids, tab="deleted")


# --- the actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("handle", ("open", False), ("handled", False)),
        ("archive", ("open", False), ("archived", False)),
        ("flag", ("open", False), ("open", True)),
        ("mark_spam", ("open", False), ("spam", False)),
    ],
)
def test_each_action_changes_the_state_and_is_audited(session, world, build, action, before, after):
    rid = world["ids"]["fine"]
    actor, _ = build.user_token()
    assert state(session, rid) == before
    result = comments.act(session, actor, world["all"], action, [rid])
    assert (result.action, result.changed, result.unchanged) == (action, [rid], 0)
    assert state(session, rid) == after
    [entry] = audit_entries(session)
    field = "comment_flagged" if action == "flag" else "comment_state"
    old, new = (before[1], after[1]) if action == "flag" else (before[0], after[0])
    assert (entry.action, entry.target_type, entry.target_id, entry.user_id, entry.actor) == (
        f"comment.{action}",
        "response",
        None,
        actor.id,
        actor.email,
    )
    assert entry.details == {"response": str(rid), "location": "C-1", field: [old, new]}


def test_reopen_unflag_and_unmark_spam_undo(session, world):
    rid = world["ids"]["fine"]
    for action, expected in [
        ("handle", ("handled", False)),
        ("reopen", ("open", False)),
        ("archive", ("archived", False)),
        ("reopen", ("open", False)),
        ("flag", ("open", True)),
        ("unflag", ("open", False)),
        ("mark_spam", ("spam", False)),
        ("unmark_spam", ("open", False)),
    ]:
        assert comments.act(session, CLI, world["all"], action, [rid]).changed == [rid]
        assert state(session, rid) == expected, action
    assert [e.action for e in audit_entries(session)] == [
        "comment.handle",
        "comment.reopen",
        "comment.archive",
        "comment.reopen",
        "comment.flag",
        "comment.unflag",
        "comment.mark_spam",
        "comment.unmark_spam",
    ]
    assert {e.actor for e in audit_entries(session)} == {"cli"}


def test_bulk_action_changes_what_needs_it_and_audits_each(session, world):
    ids = world["ids"]
    comments.act(session, CLI, world["all"], "handle", [ids["slow"]])
    result = comments.act(session, CLI, world["all"], "handle", [ids["slow"], ids["late"], ids["fine"], ids["late"]])
    assert sorted(result.changed) == sorted([ids["late"], ids["fine"]]) and result.unchanged == 1
    assert [state(session, ids[k])[0] for k in ("slow", "late", "fine", "buy")] == [
        "handled",
        "handled",
        "handled",
        "open",
    ]
    assert sorted(e.details["response"] for e in audit_entries(session, "comment.handle")) == sorted(
        str(ids[k]) for k in ("slow", "late", "fine")
    )
    counts = comments.tab_counts(session, sorted(world["all"]))
    assert counts == {"open": 3, "flagged": 0, "handled": 3, "archived": 0, "spam": 0}


def test_flagged_tab_and_spam_left_alone_by_other_actions(session, world):
    ids, scope = world["ids"], world["all"]
    comments.act(session, CLI, scope, "flag", [ids["slow"], ids["buy"]])
    comments.act(session, CLI, scope, "handle", [ids["slow"]])
    assert texts(comments.inbox(session, sorted(scope), tab="flagged")) == [
        "BUY CHEAP WATCHES www.example.com",
        "The line was slow",
    ]
    comments.act(session, CLI, scope, "mark_spam", [ids["buy"]])
    # Spam is out of the flagged tab, and handle / archive / reopen / flag leave it as it is.
    assert texts(comments.inbox(session, sorted(scope), tab="flagged")) == ["The line was slow"]
    for action in ("handle", "archive", "reopen", "flag", "unflag"):
        result = comments.act(session, CLI, scope, action, [ids["buy"]])
        assert (result.changed, result.unchanged) == ([], 1), action
    assert state(session, ids["buy"]) == ("spam", True)
    assert texts(comments.inbox(session, sorted(scope), tab="spam")) == ["BUY CHEAP WATCHES www.example.com"]
    assert comments.tab_counts(session, sorted(scope)) == {
        "open": 4,
        "flagged": 1,
        "handled": 1,
        "archived": 0,
        "spam": 1,
    }


def test_ids_outside_the_scope_or_without_a_comment_change_nothing(session, world, build):
    ids = world["ids"]
    chicago = {world["C-1"].id, world["C-2"].id}
    before = snapshot(session)
    with pytest.raises(NotFound):  # one of three is Honolulu's
        comments.act(session, CLI, chicago, "mark_spam", [ids["slow"], ids["hnl"], ids["buy"]])
    with pytest.raises(NotFound):
        comments.act(session, CLI, chicago, "handle", [uuid.uuid4()])
    kiosk_tap = session.scalar(select(Response.id).where(Response.channel == "kiosk"))
    with pytest.raises(NotFound):  # a kiosk tap has no comment to act on
        comments.act(session, CLI, chicago, "mark_spam", [kiosk_tap])
    with pytest.raises(InvalidInput):
        comments.act(session, CLI, chicago, "delete", [ids["slow"]])
    with pytest.raises(InvalidInput):
        comments.act(session, CLI, chicago, "handle", [])
    assert {state(session, ids[k])[0] for k in ids} == {"open"}
    assert audit_entries(session) == []
    assert snapshot(session) == before


# --- spam is out of every score -----------------------------------------------------------------


def test_spam_leaves_the_summary_and_unspam_restores_it(session, world):
    c1 = [world["C-1"].id]
    before = summarize(session, c1, *NOV)
    # Kiosk 5, 4, 1 and phone 2, 5, 1, 4: 7 responses, 4 positive; the mean is 22 / 7.
    assert (before["total"]["count"], before["total"]["positive"], before["total"]["csat"]) == (7, 4, 0.5714)
    assert before["total"]["distribution"] == {"faces5": [2, 1, 0, 2, 2]}
    # Asked "what could be better" after the 2 (chose efficiency) and the 1 of the phone.
    assert before["followups"]["negative"] == [
        {"choice": "efficiency", "chosen": 1, "offered": 2},
        {"choice": "ease", "chosen": 0, "offered": 2},
    ]

    comments.act(session, CLI, world["all"], "mark_spam", [world["ids"]["buy"], world["ids"]["slow"]])
    spam = summarize(session, c1, *NOV)
    # Without the 1 and the 2: 5 responses, 4 positive, mean 19 / 5; their follow-ups are gone too.
    assert (spam["total"]["count"], spam["total"]["positive"], spam["total"]["csat"], spam["total"]["mean"]) == (
        5,
        4,
        0.8,
        3.8,
    )
    assert spam["total"]["distribution"] == {"faces5": [1, 0, 0, 2, 2]}
    assert spam["followups"]["negative"] == []
    assert spam["followups"]["positive"] == before["followups"]["positive"]
    # The day of the spam (the 12th) has nothing else: no group with a count of 0 either.
    by_day = summarize(session, c1, *NOV, group="day")
    assert [g["key"] for g in by_day["groups"]] == ["2026-11-10", "2026-11-11", "2026-11-13"]

    comments.act(session, CLI, world["all"], "unmark_spam", [world["ids"]["buy"], world["ids"]["slow"]])
    assert summarize(session, c1, *NOV) == before


def test_marking_spam_twice_subtracts_once(session, world):
    c1 = [world["C-1"].id]
    rid = world["ids"]["buy"]
    first = comments.act(session, CLI, world["all"], "mark_spam", [rid])
    after_once = snapshot(session)
    second = comments.act(session, CLI, world["all"], "mark_spam", [rid])
    assert (first.changed, second.changed, second.unchanged) == ([rid], [], 1)
    assert snapshot(session) == after_once
    assert summarize(session, c1, *NOV)["total"]["count"] == 6
    assert len(audit_entries(session, "comment.mark_spam")) == 1
    # ... and undoing twice adds back once.
    comments.act(session, CLI, world["all"], "unmark_spam", [rid])
    comments.act(session, CLI, world["all"], "unmark_spam", [rid])
    assert summarize(session, c1, *NOV)["total"]["count"] == 7


def test_rebuild_after_spam_equals_the_incremental_rollups(session, world):
    comments.act(session, CLI, world["all"], "mark_spam", [world["ids"]["buy"], world["ids"]["hnl"]])
    comments.act(session, CLI, world["all"], "handle", [world["ids"]["fine"]])
    incremental = snapshot(session)
    assert session.scalar(select(func.sum(ResponseHourly.n))) == 3 + 6 - 2  # every response but the spam
    with write_transaction(session):
        read = rollups.rebuild(session)
    assert read == 7
    assert snapshot(session) == incremental
    # Undo after a rebuild: the response comes back exactly once.
    comments.act(session, CLI, world["all"], "unmark_spam", [world["ids"]["buy"]])
    assert summarize(session, [world["C-1"].id], *NOV)["total"]["count"] == 7


def test_two_people_marking_the_same_comment_at_once_subtract_once(app, session, world, monkeypatch):
    """Two workers (threads, each with its own app context, session and connection) mark the same
    comment. The first is held after its UPDATE and rollup change, before its commit, until the
    second is waiting on it; the second must then see the spam and change nothing."""
    rid, scope = world["ids"]["buy"], world["all"]
    held, release = threading.Event(), threading.Event()
    real_apply = rollups.apply

    def apply_then_hold(session_, facts, sign=1):
        real_apply(session_, facts, sign)
        if threading.current_thread().name == "first":
            held.set()
            release.wait(60)

    monkeypatch.setattr(rollups, "apply", apply_then_hold)
    results, errors = {}, []

    def worker():
        with app.app_context():
            try:
                results[threading.current_thread().name] = comments.act(db.session, CLI, scope, "mark_spam", [rid])
            except Exception as exc:  # noqa: BLE001  # pragma: no cover - any error is reported below
                errors.append(exc)
            finally:
                db.session.remove()

    first = threading.Thread(target=worker, name="first")
    second = threading.Thread(target=worker, name="second")
    first.start()
    assert held.wait(60)
    second.start()
    if session.get_bind().dialect.name == "postgresql":
        # Wait until the second transaction is blocked on the first one's row lock.
        with db.engine.connect() as conn:
            while not conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar():
                conn.rollback()
                second.join(0.05)
    # (SQLite: the second cannot even begin before the first commits: BEGIN IMMEDIATE.)
    release.set()
    first.join(60)
    second.join(60)
    assert errors == []
    assert (results["first"].changed, results["second"].changed, results["second"].unchanged) == ([rid], [], 1)
    assert summarize(session, [world["C-1"].id], *NOV)["total"]["count"] == 6
    assert len(audit_entries(session, "comment.mark_spam")) == 1
    session.rollback()
    assert session.scalar(select(func.sum(ResponseHourly.n)).where(ResponseHourly.location_id == world["C-1"].id)) == 6


# --- other readers of responses skip spam -------------------------------------------------------


def test_dashboard_comments_and_the_read_api_list_hide_spam(session, world):
    c1 = world["C-1"]
    comments.act(session, CLI, world["all"], "mark_spam", [world["ids"]["buy"]])
    shown = dashboard.comments(session, c1, *NOV)
    assert [c.text for c in shown.items] == ["Fine, thanks", "Great staff, 100% helpful", "The line was slow"]
    assert dashboard.comments(session, c1, *NOV, q="watches").items == []
    rows, _ = list_responses(session, [c1.id], *NOV)
    assert world["ids"]["buy"] not in {r.id for r in rows} and len(rows) == 6
    rows, _ = list_responses(session, [c1.id], *NOV, include_spam=True)
    assert world["ids"]["buy"] in {r.id for r in rows} and len(rows) == 7
