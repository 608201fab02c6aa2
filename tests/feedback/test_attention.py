"""What needs doing (feedback.services.attention): exact items from known data, scoped.

Monday 30 Nov 2026, 09:00 in Chicago (15:00 UTC): the office opened at 08:00. FY2027 Q1 runs
1 Oct - 31 Dec 2026; the last quarter's report was due 30 Oct, so the volumes asked are Q1's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from feedback.database import write_transaction
from feedback.models import Alert, AlertRule, Device, Office, Response
from feedback.scales import DRIVERS
from feedback.services import volumes
from feedback.services.actors import DEMO_LOADER
from feedback.services.attention import Badges, attention, badges, open_comments, report_quarter
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import wilson_interval
from feedback.touchpoints import A11_V2, trust_question
from tests.helpers.responses import put

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
Q1 = FiscalQuarter(2027, 1)
DAY = date(2026, 11, 2)  # a Monday in Q1


@pytest.fixture
def place(session, build):
    """Chicago (target 85 %): A-1 asks an A-11 survey and is clearly below target, A-2 is below
    on too few answers, A-3 meets it; Denver's D-1 is outside a Chicago manager's scope."""
    chicago = build.office("Chicago Office", "America/Chicago")
    denver = build.office("Denver Office", "America/Denver")
    a11_survey = build.survey(scale="faces5", question=trust_question("the Agency"), followup=DRIVERS, a11_role=A11_V2)
    a1 = build.location("A-1", office=chicago, survey=a11_survey)
    a2 = build.location("A-2", office=chicago)
    a3 = build.location("A-3", office=chicago)
    d1 = build.location("D-1", office=denver)
    with write_transaction(session):
        session.get(Office, chicago.id).csat_target = 0.85
        session.get(Office, denver.id).csat_target = 0.85
    # 20 positive of 41 (two negative comments open, one handled, one positive comment open)
    put(session, a1, [5] * 19, DAY)
    put(session, a1, [5], DAY, comment="Friendly staff.")
    put(session, a1, [1] * 18, DAY, hour=11)
    put(session, a1, [1, 1], DAY, hour=12, comment="Too slow.")
    put(session, a1, [1], DAY, hour=13, comment="Old complaint.")
    with write_transaction(session):
        session.execute(update(Response).where(Response.comment == "Old complaint.").values(comment_state="handled"))
    put(session, a2, [5] * 8 + [1] * 2, DAY)  # 80 %: below 85 %, but the interval reaches it
    put(session, a3, [5] * 9 + [1], DAY)  # 90 %: met
    put(session, d1, [1] * 30, DAY, comment="Denver is bad.")  # outside the manager's scope
    with write_transaction(session):
        rules = {}
        for loc in (a1, d1):
            rules[loc.code] = AlertRule(location_id=loc.id, kind="burst", params={})
            session.add(rules[loc.code])
        session.flush()
        for n, (code, acknowledged) in enumerate((("A-1", None), ("A-1", NOW), ("D-1", None))):
            session.add(
                Alert(
                    rule_id=rules[code].id,
                    location_id=rules[code].location_id,
                    kind="burst",
                    claim_key=f"k{n}",
                    summary="burst",
                    acknowledged_at=acknowledged,
                )
            )
        long_ago = NOW - timedelta(days=30)
        session.add(
            Device(
                location=session.merge(a1),
                label="A-1 kiosk",
                token_hash="h1",
                created_at=long_ago,
                last_seen_at=NOW - timedelta(hours=2),
            )
        )  # quiet since 07:00: an hour of opening time
        session.add(
            Device(
                location=session.merge(a2),
                label="A-2 kiosk",
                token_hash="h2",
                created_at=long_ago,
                last_seen_at=NOW - timedelta(minutes=5),
            )
        )
        session.add(
            Device(
                location=session.merge(a3), label="A-3 old", token_hash="h3", created_at=long_ago, revoked_at=long_ago
            )
        )  # revoked: never silent
    return {"a1": a1, "a2": a2, "a3": a3, "d1": d1}


def test_a_managers_items_in_order(session, place):
    scope = {place[k].id for k in ("a1", "a2", "a3")}
    found = attention(session, scope, NOW)
    assert found.quarter == Q1
    assert [(i.kind, i.severity, i.count) for i in found.items] == [
        ("below_target", "high", 1),  # A-1, clearly
        ("alerts", "high", 1),  # the acknowledged one and Denver's are not counted
        ("silent_kiosks", "high", 1),
        ("negative_comments", "medium", 2),  # the handled one is not counted
        ("below_target", "low", 1),  # too few to tell
        ("volumes", "low", 1),  # A-1's phone answers of Q1 (the quarter is not over)
        ("other_comments", "low", 1),
    ]
    clear, unclear = found.of("below_target")
    assert (clear.location.code, clear.responses, clear.clear) == ("A-1", 41, True)
    assert clear.csat == pytest.approx(20 / 41)
    assert clear.gap_points == pytest.approx((0.85 - 20 / 41) * 100)
    assert clear.interval == wilson_interval(20, 41) and clear.interval.high < 0.85
    assert (clear.endpoint, clear.args) == ("admin.location_detail", {"code": "A-1"})
    assert (unclear.location.code, unclear.responses, unclear.clear) == ("A-2", 10, False)
    assert unclear.gap_points == pytest.approx(5.0)
    assert unclear.interval.high >= 0.85
    assert found.of("silent_kiosks")[0].names == ("A-1 kiosk",)
    assert found.of("alerts")[0].endpoint == "admin.alerts_list"
    (volume,) = found.of("volumes")
    assert (volume.quarter, volume.due, volume.overdue, volume.names) == (Q1, date(2027, 1, 30), False, ("A-1",))
    assert (volume.endpoint, volume.args) == ("admin.reporting", {"quarter": "FY2027Q1"})
    assert badges(session, scope) == Badges(alerts=1, comments=3)
    assert open_comments(session, sorted(scope)) == (2, 1)


def test_an_admin_sees_every_office(session, place):
    everything = {loc.id for loc in place.values()}
    found = attention(session, everything, NOW)
    codes = [i.location.code for i in found.of("below_target")]
    assert codes == ["D-1", "A-1", "A-2"]  # clear ones first, the widest gap first
    assert found.of("alerts")[0].count == 2
    assert found.of("negative_comments")[0].count == 32
    b = badges(session, everything)
    assert (b.alerts, b.comments) == (2, 33)


def test_a_central_office_sees_the_ten_widest_gaps_and_one_line_for_the_rest(session, build, monkeypatch):
    """An admin of hundreds of counters: the home page lists the most urgent below-target
    locations one by one and the rest as one item that opens the standards page."""
    monkeypatch.setattr("feedback.services.attention.BELOW_TARGET_SHOWN", 3)
    office = build.office("Big Office", "America/Chicago")
    with write_transaction(session):
        session.get(Office, office.id).csat_target = 0.85
    places = []
    for n, positive in enumerate((10, 30, 20, 25, 15)):  # of 40: every one clearly below 85 %
        places.append(build.location(f"B-{n}", office=office))
        put(session, places[-1], [5] * positive + [1] * (40 - positive), DAY)
    found = attention(session, {loc.id for loc in places}, NOW)
    assert [i.location.code for i in found.of("below_target")] == ["B-0", "B-4", "B-2"]  # the widest gaps
    (more,) = found.of("more_below_target")
    assert (more.count, more.severity, more.endpoint, more.args) == (
        2,
        "low",
        "admin.standards",
        {"quarter": "FY2027Q1"},
    )


def test_entered_volumes_close_the_item_and_the_deadline_moves(session, place):
    scope = {place["a1"].id}
    entry = volumes.Entry(place["a1"].id, Q1, "qr", volumes.Figures(100, 90))
    with write_transaction(session):
        volumes.upsert(session, DEMO_LOADER, entry)
    assert attention(session, scope, NOW).of("volumes") == []
    # after the quarter, the figures are due: the item is more urgent
    with write_transaction(session):
        volumes.upsert(session, DEMO_LOADER, volumes.Entry(place["a1"].id, Q1, "qr", volumes.Figures(100, None)))
    later = attention(session, scope, datetime(2027, 1, 5, 15, 0, tzinfo=UTC))
    (volume,) = later.of("volumes")
    assert (volume.severity, volume.overdue, volume.quarter) == ("medium", True, Q1)
    assert report_quarter(date(2026, 10, 30)) == FiscalQuarter(2026, 4)
    assert report_quarter(date(2026, 10, 31)) == Q1
    assert report_quarter(date(2027, 1, 30)) == Q1


def test_nothing_to_do_and_no_scope(session, place):
    assert attention(session, set(), NOW).items == []
    assert (badges(session, set()).alerts, badges(session, set()).comments) == (0, 0)
    found = attention(session, {place["a3"].id}, NOW)
    assert found.items == []  # met, no alerts, no comments; its only kiosk is revoked
    # on Sunday the office is closed: no kiosk is silent
    sunday = attention(session, {place["a1"].id}, datetime(2026, 11, 29, 18, 0, tzinfo=UTC))
    assert sunday.of("silent_kiosks") == []
