"""Service standards per location and office for fiscal quarters (feedback.services.standards).

Responses go in through ``ingest.store_rows`` (the rollups' real write path); every expected
figure is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services import standards
from feedback.services.fiscal import FiscalQuarter
from tests.helpers.responses import put

Q1 = FiscalQuarter(2027, 1)  # 2026-10-01 .. 2026-12-31
Q4 = FiscalQuarter(2026, 4)  # 2026-07-01 .. 2026-09-30
NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # Sunday 29 Nov, noon in Chicago


@pytest.fixture
def offices(session, build):
    """Chicago office (target 85 %, 20 a week per location) with C-1 (own target 90 %), C-2 and an
    inactive C-3; Honolulu office with H-1 (thumbs) and no targets."""
    chicago = build.office("Chicago Passport Agency", "America/Chicago")
    honolulu = build.office("Honolulu Passport Agency", "Pacific/Honolulu")
    c1 = build.location("C-1", office=chicago)
    c2 = build.location("C-2", office=chicago)
    c3 = build.location("C-3", office=chicago)
    h1 = build.location("H-1", office=honolulu, scale="thumbs")
    with write_transaction(session):
        session.get(Office, chicago.id).csat_target = 0.85
        session.get(Office, chicago.id).weekly_response_target = 20
        session.get(Location, c1.id).csat_target = 0.9
        session.get(Location, c3.id).active = False
    return {"chicago": chicago, "honolulu": honolulu, "c1": c1, "c2": c2, "c3": c3, "h1": h1}


def locations(session):
    session.expire_all()
    return list(session.query(Location).order_by(Location.code))


def test_weeks_elapsed():
    # 29 Nov is day 60 of Q1 (Oct 31 + Nov 29): 60 / 7 weeks
    assert standards.weeks_elapsed(Q1, date(2026, 11, 29)) == (60 / 7, "current")
    assert standards.weeks_elapsed(Q1, date(2026, 10, 1)) == (1.0, "current")  # at least one week
    assert standards.weeks_elapsed(Q1, date(2026, 10, 9)) == (9 / 7, "current")
    assert standards.weeks_elapsed(Q4, date(2026, 11, 29)) == (92 / 7, "past")  # Jul 31 + Aug 31 + Sep 30
    assert standards.weeks_elapsed(FiscalQuarter(2027, 2), date(2026, 11, 29)) == (None, "future")
    assert standards.weeks_elapsed(Q1, date(2026, 12, 31)) == (92 / 7, "current")
    assert standards.weeks_elapsed(Q1, date(2027, 1, 1)) == (92 / 7, "past")


def test_quarter_report_counts_targets_and_verdicts(session, offices):
    c1, c2, c3, h1 = (offices[k] for k in ("c1", "c2", "c3", "h1"))
    put(session, c1, [5] * 90 + [4] * 5 + [2] * 5, date(2026, 10, 5))  # 95 of 100 positive
    put(session, c1, [5, 5], date(2026, 10, 5), suspect=True, hour=11)  # suspects: counted apart
    put(session, c2, [5] * 9 + [3] * 3, date(2026, 11, 2))  # 9 of 12 (75 %)
    put(session, c3, [1] * 4, date(2026, 11, 3))  # inactive, but it had visitors
    put(session, h1, [2, 2, 1], date(2026, 11, 4))  # thumbs: 2 of 3 up
    put(session, c2, [5] * 30, date(2026, 9, 30), hour=23)  # 30 Sep: last quarter
    put(session, c2, [1] * 7, date(2027, 1, 1))  # next quarter: not counted
    offices_rows = standards.report(session, locations(session), [Q1], now=NOW)
    chicago, honolulu = offices_rows
    assert (chicago.office.name, honolulu.office.name) == ("Chicago Passport Agency", "Honolulu Passport Agency")
    assert [r.location.code for r in chicago.locations] == ["C-1", "C-2", "C-3"]
    s1, s2, s3 = (r.standings[Q1] for r in chicago.locations)
    weeks = 60 / 7  # Chicago's 29 Nov
    assert (s1.responses, s1.positive, s1.suspects, s1.target, s1.weekly_target) == (100, 95, 2, 0.9, 20)
    assert s1.csat == 0.95 and s1.verdict == "met"
    assert s1.weeks == pytest.approx(weeks) and s1.state == "current"
    assert s1.weekly_responses == pytest.approx(100 / weeks)  # 11.7 a week: short of 20
    assert s1.weekly_verdict == "not_met"
    assert (s1.interval.low, s1.interval.high) == pytest.approx((0.8882, 0.9785), abs=1e-4)
    assert (s2.responses, s2.positive, s2.target, s2.verdict) == (12, 9, 0.85, "too_few")  # office's target
    assert (s3.responses, s3.positive, s3.verdict) == (4, 0, "not_met")  # 0 of 4: upper bound 0.49
    total = chicago.total[Q1]
    assert (total.responses, total.positive, total.suspects, total.target) == (116, 104, 2, 0.85)
    assert total.weekly_target == 60 and total.verdict == "met"  # 104 / 116 = 89.7 %
    (h,) = honolulu.locations
    sh = h.standings[Q1]
    assert (sh.responses, sh.positive, sh.target, sh.verdict, sh.weekly_verdict) == (
        3,
        2,
        None,
        "no_target",
        "no_target",
    )
    assert honolulu.total[Q1].weekly_target is None
    assert chicago.complete and honolulu.complete


def test_this_and_last_quarter_in_one_query(session, offices, app):
    c2 = offices["c2"]
    put(session, c2, [5] * 30, date(2026, 9, 30), hour=23)  # 23:00 Chicago = 04:00 UTC on 1 Oct: Q4 locally
    put(session, c2, [5, 1], date(2026, 10, 1), hour=0)
    statements = []
    engine = session.get_bind()

    def count_selects(conn, cursor, statement, *args):
        if "response_hourly" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count_selects)
    try:
        (chicago,) = standards.report(session, [session.get(Location, c2.id)], [Q1, Q4], now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count_selects)
    assert len(statements) == 1
    (row,) = chicago.locations
    assert (row.standings[Q4].responses, row.standings[Q4].positive, row.standings[Q4].state) == (30, 30, "past")
    assert row.standings[Q4].weeks == pytest.approx(92 / 7)
    assert row.standings[Q4].weekly_responses == pytest.approx(30 / (92 / 7))
    assert (row.standings[Q1].responses, row.standings[Q1].positive) == (2, 1)
    assert not chicago.complete  # C-1 and C-3 were not asked


def test_no_responses_and_future_quarter(session, offices):
    q2 = FiscalQuarter(2027, 2)
    (chicago,) = standards.report(session, [session.get(Location, offices["c1"].id)], [q2], now=NOW)
    s = chicago.locations[0].standings[q2]
    assert (s.responses, s.csat, s.interval, s.verdict) == (0, None, None, "no_data")
    assert (s.state, s.weeks, s.weekly_responses, s.weekly_verdict) == ("future", None, None, "no_data")


def test_scoreboard_shows_active_locations_this_and_last_quarter(session, offices):
    put(session, offices["c1"], [5, 4, 1], date(2026, 11, 2))
    put(session, offices["c3"], [1], date(2026, 11, 2))
    put(session, offices["c2"], [4, 4], date(2026, 8, 3))
    board = standards.scoreboard(session, session.get(Office, offices["chicago"].id), now=NOW)
    assert (board.this, board.last) == (Q1, Q4)
    assert [r.location.code for r in board.rows.locations] == ["C-1", "C-2"]  # C-3 is switched off
    c1, c2 = board.rows.locations
    assert (c1.standings[Q1].responses, c1.standings[Q1].positive, c1.standings[Q4].responses) == (3, 2, 0)
    assert (c2.standings[Q4].responses, c2.standings[Q4].positive) == (2, 2)
    assert board.rows.total[Q1].responses == 3 and board.rows.total[Q4].responses == 2


def test_current_quarter_in_local_time():
    hawaii = Office(name="x", slug="x", timezone="Pacific/Honolulu")
    new_year_utc = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)  # still 31 Dec in Honolulu
    assert standards.current_quarter([hawaii], new_year_utc) == Q1
    assert standards.current_quarter([], new_year_utc) == FiscalQuarter(2027, 2)
    assert standards.recent_quarters(Q1, 3) == [Q1, Q4, FiscalQuarter(2026, 3)]


def test_published_office(session, offices):
    chicago = offices["chicago"]
    assert standards.published_office(session, chicago.slug) is None
    with write_transaction(session):
        session.get(Office, chicago.id).scoreboard_public = True
    assert standards.published_office(session, chicago.slug).id == chicago.id
    assert standards.published_office(session, "no-such-office") is None


def test_responses_taken_out_of_the_rollups_are_not_counted(session, offices):
    """What the comment inbox does for spam: ``rollups.apply(sign=-1)``; emptied buckets count 0."""
    from feedback.models import Response
    from feedback.services import rollups

    c2 = offices["c2"]
    put(session, c2, [5, 5, 1], date(2026, 11, 2))
    stored = session.query(Response).filter_by(location_id=c2.id).order_by(Response.client_time).all()
    tz = c2.office.tz
    scale = c2.survey.current_version().scale

    def take_out(rows):
        with write_transaction(session):
            rollups.apply(
                session,
                [rollups.Fact.of(r, tz, scale) for r in rows],
                sign=-1,
            )

    take_out(stored[:1])
    found = standards.counts(session, [c2.id], [Q1])
    got = found[(c2.id, Q1)]
    assert (got.count, got.positive, got.suspects) == (2, 1, 0)
    take_out(stored[1:])
    assert standards.counts(session, [c2.id], [Q1]) == {}
    (chicago,) = standards.report(session, [session.get(Location, c2.id)], [Q1], now=NOW)
    assert chicago.locations[0].standings[Q1].verdict == "no_data"
