"""Item 7 of issue 12: a time zone change or a counter move rebuilds the rollups in the same transaction.

The rollups bucket every response by local date and hour in its office's zone. Before the fix a zone
change (or moving a counter to an office in another zone) left them in the old zone: summaries and the
A-11 per-response file (which reads ``responses`` with the current zone) disagreed, and marking a
comment as spam afterwards subtracted it from the new zone's bucket, leaving a bucket at -1. The first four
tests fail on the code before the fix (the last guards the refusal path).

The expected figures are recomputed from raw responses by ``tests.reporting.oracle`` (no rollups).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import AuditEntry, Location, Office, Response
from feedback.services import a11, a11_files, comments, locations, offices
from feedback.services.aggregation import summarize
from feedback.services.fiscal import FiscalQuarter
from feedback.touchpoints import A11_V2
from tests.helpers.responses import item, kiosk, say, utc
from tests.reporting.conftest import TRUST
from tests.reporting.oracle import assert_rollups_match, tally

D = date.fromisoformat


@pytest.fixture
def world(session, build):
    """Chicago (UTC-6 in winter) with C-1 (kiosk and phone) and C-2; Lord Howe (UTC+11 in summer, a
    30-minute DST) with L-1. Responses sit near local midnights and quarter ends, so a zone change moves
    them across dates, weeks and the FY2027Q1/Q2 edge."""
    chicago = build.office("Chicago Zone Office", tz="America/Chicago")
    howe = build.office("Lord Howe Zone Office", tz="Australia/Lord_Howe")
    reported = {"question": TRUST, "a11_role": A11_V2}  # A-11 surveys: the A-11 files count every answer
    c1 = build.location("C-1", office=chicago, **reported)
    c2 = build.location("C-2", office=chicago, **reported)
    l1 = build.location("L-1", office=howe, **reported)
    device, _ = build.device(c1)
    kiosk(
        session,
        device,
        [
            item(5, utc("2026-12-31T23:30")),  # 17:30 on 31 Dec in Chicago, 10:30 on 1 Jan at Lord Howe
            item(1, utc("2027-01-01T05:45"), offered=("ease", "efficiency"), chosen=("efficiency",)),
            item(4, utc("2027-01-01T05:45:01")),  # a repeat tap: suspect
            item(2, utc("2026-11-10T14:10")),
        ],
    )
    ids = {
        "spam": say(session, c1, 1, utc("2026-12-31T13:20"), "BUY WATCHES", choices=("ease",)),
        "kept": say(session, c1, 5, utc("2027-01-01T06:10"), "Thanks"),
        "c2": say(session, c2, 3, utc("2026-12-31T12:59"), "Fine"),
        "l1": say(session, l1, 4, utc("2026-12-31T13:30"), "Good"),  # 00:30 on 1 Jan at Lord Howe (UTC+11)
    }
    admin, _ = build.user_token()
    return {"chicago": chicago, "howe": howe, "C-1": c1, "C-2": c2, "L-1": l1, "ids": ids, "admin": admin}


def _change_zone(session, actor, office, tz):
    stored = session.get(Office, office.id)
    with write_transaction(session):
        return offices.update_office(
            session, actor, office.id, name=stored.name, timezone=tz, opening_hours=stored.opening_hours
        )


def _check_every_figure(session):
    """Rollups, summaries per location and day, the quarter's A-11 counts and per-response rows: all
    equal the recomputation from raw responses."""
    session.rollback()
    raws = assert_rollups_match(session)
    ids = sorted({r.location_id for r in raws})
    days = sorted({r.local_date for r in raws})
    for loc_id in ids:
        for day in days:
            total = summarize(session, [loc_id], day, day, followups=False)["total"]
            want = tally(raws, location_ids={loc_id}, start=day, end=day)
            assert (total["count"], total["positive"], total["suspect_count"]) == (
                want.count,
                want.positive,
                want.suspects,
            ), (loc_id, day)
    for quarter in (FiscalQuarter(2027, 1), FiscalQuarter(2027, 2)):
        counted = {
            r.id for r in raws if r.counted and quarter.start <= r.local_date <= quarter.end and r.location_id in ids
        }
        report = a11.report(session, ids, quarter)
        exported = [row[0] for d in report.details for row in a11_files.response_rows(session, d)]
        assert sorted(exported) == sorted(str(i) for i in counted), quarter
        assert sum(d.respondents for d in report.details) == len(counted), quarter
    return raws


def test_zone_change_rebuilds_every_figure_in_the_same_transaction(session, world):
    before = _check_every_figure(session)
    changed = _change_zone(session, world["admin"], world["chicago"], "Australia/Lord_Howe")
    assert changed["timezone"] == ["America/Chicago", "Australia/Lord_Howe"]
    after = _check_every_figure(session)
    # The zone change moved responses across local dates and across the quarter edge.
    moved = {r.id for r in after} - {r.id for r, s in zip(after, before, strict=True) if r.local_date == s.local_date}
    assert moved
    q1_before = tally(before, start=D("2026-10-01"), end=D("2026-12-31"))
    q1_after = tally(after, start=D("2026-10-01"), end=D("2026-12-31"))
    assert q1_before.count != q1_after.count
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "office.update"))
    assert entry.details["timezone"] == ["America/Chicago", "Australia/Lord_Howe"]


def test_spam_after_a_zone_change_leaves_no_negative_bucket(session, world):
    _change_zone(session, world["admin"], world["chicago"], "Pacific/Honolulu")
    result = comments.act(session, world["admin"], {world["C-1"].id}, "mark_spam", [world["ids"]["spam"]])
    assert result.changed == [world["ids"]["spam"]]
    _check_every_figure(session)  # also asserts that no bucket is below zero
    comments.act(session, world["admin"], {world["C-1"].id}, "unmark_spam", [world["ids"]["spam"]])
    _check_every_figure(session)


def test_zone_change_back_and_forth_restores_the_figures(session, world):
    first = summarize(session, [world["C-1"].id], D("2026-10-01"), D("2027-03-31"), group="day")
    _change_zone(session, world["admin"], world["chicago"], "Asia/Kolkata")
    _check_every_figure(session)
    _change_zone(session, world["admin"], world["chicago"], "America/Chicago")
    _check_every_figure(session)
    assert summarize(session, [world["C-1"].id], D("2026-10-01"), D("2027-03-31"), group="day") == first


def test_counter_move_rebuilds_its_rollups_in_the_new_office_zone(session, world):
    _check_every_figure(session)
    loc = session.get(Location, world["C-1"].id)
    with write_transaction(session):
        changed = locations.update_location(
            session, world["admin"], loc.id, name=loc.name, active=True, office_id=world["howe"].id
        )
    assert changed["office"] == ["Chicago Zone Office", "Lord Howe Zone Office"]
    raws = _check_every_figure(session)
    assert {r.zone.key for r in raws if r.location_id == loc.id} == {"Australia/Lord_Howe"}
    # C-2 stayed in Chicago and kept its figures.
    assert {r.zone.key for r in raws if r.location_id == world["C-2"].id} == {"America/Chicago"}
    comments.act(session, world["admin"], {loc.id}, "mark_spam", [world["ids"]["kept"]])
    _check_every_figure(session)


def test_a_refused_change_rebuilds_nothing(session, world):
    """An invalid zone is refused before anything is written: the rollups stay as they were."""
    from feedback.services.errors import InvalidInput

    stored = session.get(Office, world["chicago"].id)
    with pytest.raises(InvalidInput), write_transaction(session):
        offices.update_office(
            session,
            world["admin"],
            stored.id,
            name=stored.name,
            timezone="Mars/Olympus",
            opening_hours=stored.opening_hours,
        )
    _check_every_figure(session)
    assert session.scalar(select(Office.timezone).where(Office.id == stored.id)) == "America/Chicago"
    assert session.scalar(select(Response.id).limit(1)) is not None


def test_zone_changes_and_taps_at_once_leave_every_bucket_right(app, session, build):
    """Kiosk posts and zone changes released together (threads, as several workers): every tap is
    bucketed in the zone its commit saw, and the rebuild waits for writes in flight, so the rollups
    equal the recomputation afterwards (on PostgreSQL the zone's shared lock does it; on SQLite the
    writers take turns)."""
    import threading

    from tests.builders import auth, response_body

    office = build.office("Race Office", tz="America/Chicago")
    location = build.location("RACE-1", office=office)
    devices = [build.device(location) for _ in range(3)]
    admin, _ = build.user_token()
    zones = ("Australia/Lord_Howe", "America/Chicago", "Asia/Kolkata")
    start = datetime.now(UTC) - timedelta(hours=3)  # taps the API accepts (not in the future, not too old)

    def change_zone(tz):
        with app.app_context():
            own = db.session
            stored = own.get(Office, office.id)
            with write_transaction(own):
                offices.update_office(
                    own,
                    own.get(type(admin), admin.id),
                    office.id,
                    name=stored.name,
                    timezone=tz,
                    opening_hours=stored.opening_hours,
                )
            db.session.remove()

    def post(token, when):
        app.test_client().post("/api/v1/responses", json=response_body(when=when), headers=auth(token))

    for round_no, tz in enumerate(zones):
        barrier = threading.Barrier(len(devices) + 1)
        calls = [(change_zone, (tz,))] + [
            (post, (token, start + timedelta(minutes=17 * round_no + k))) for k, (_d, token) in enumerate(devices)
        ]

        def run(fn, args, barrier=barrier):
            barrier.wait()
            fn(*args)

        threads = [threading.Thread(target=run, args=call) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    session.rollback()
    raws = assert_rollups_match(session)
    assert len(raws) == len(zones) * len(devices)
