"""Score below target: an alert only when even the Wilson interval's upper bound is below the target.

Responses go in through the kiosk batch API, spread over the days before the clock's Monday
10:00, so no burst is involved (none falls in the last 30 minutes).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services import stats
from tests.alerts.conftest import MONDAY_10, stored_alerts, tap, tap_batch


def spread(positive: int, negative: int, end, step=timedelta(minutes=35)):
    """``positive`` 5s and ``negative`` 2s, mixed evenly, one every ``step`` back from an hour before ``end``."""
    total = positive + negative
    ratings = [2 if (i * negative) // total != ((i + 1) * negative) // total else 5 for i in range(total)]
    assert ratings.count(2) == negative
    return [(rating, end - timedelta(hours=1) - i * step) for i, rating in enumerate(ratings)]


def set_target(session, location, target, office_target=None):
    with write_transaction(session):
        loc = session.get(Location, location.id)
        loc.csat_target = target
        session.get(Office, loc.office_id).csat_target = office_target


def test_twelve_responses_at_67_percent_against_80_do_not_alert(client, clock, counter, session, no_mail):
    set_target(session, counter["location"], 0.80)
    assert tap_batch(client, counter["token"], spread(8, 4, clock.now)).status_code == 201
    # 8 of 12 is below 80 %, but the interval reaches above it: too few to tell.
    assert stats.wilson_interval(8, 12).high == pytest.approx(0.8619, abs=1e-4)
    assert stats.verdict(8, 12, 0.80) == "too_few"
    assert stored_alerts(session) == []


def test_two_hundred_responses_at_70_percent_against_80_alert_once(client, clock, counter, session, no_mail):
    set_target(session, counter["location"], 0.80)
    assert tap_batch(client, counter["token"], spread(140, 60, clock.now)).status_code == 201
    [alert] = stored_alerts(session)
    assert alert.kind == "below_target"
    assert alert.claim_key == "below_target:after:0"
    assert alert.summary == (
        "CHI-1: CSAT 70.0 % over the last 7 days is below the 80.0 % target (95 % interval up to 75.9 %, 200 responses)"
    )
    d = alert.details
    assert (d["n"], d["positive"], d["target"], d["window_days"]) == (200, 140, 0.80, 7)
    assert (d["from"], d["to"]) == ("2026-11-24", "2026-11-30")  # local dates, today included
    assert d["high"] == pytest.approx(stats.wilson_interval(140, 200).high)
    assert d["high"] == pytest.approx(0.7593, abs=1e-4)

    # More responses the same week, and the periodic job: still one alert for this window.
    clock.advance(hours=3)
    assert tap(client, counter["token"], 2, clock.now).status_code == 201
    clock.set(MONDAY_10 + timedelta(days=3))
    assert tap_batch(client, counter["token"], spread(14, 6, clock.now)).status_code == 201
    assert len(stored_alerts(session)) == 1

    # A week on, the shortfall lasts (new responses at 70 %): reported again, once.
    clock.set(MONDAY_10 + timedelta(days=7))
    assert (
        tap_batch(client, counter["token"], spread(140, 60, clock.now, step=timedelta(minutes=20))).status_code == 201
    )
    alerts = stored_alerts(session)
    assert len(alerts) == 2
    assert alerts[1].claim_key == f"below_target:after:{alerts[0].id}"
    assert (alerts[1].details["from"], alerts[1].details["to"]) == ("2026-12-01", "2026-12-07")


def test_the_office_target_applies_when_the_location_has_none(client, clock, counter, session, no_mail):
    set_target(session, counter["location"], None, office_target=0.80)
    tap_batch(client, counter["token"], spread(140, 60, clock.now))
    [alert] = stored_alerts(session)
    assert alert.details["target"] == 0.80


def test_no_target_no_alert(client, clock, counter, session, no_mail):
    set_target(session, counter["location"], None)
    assert tap_batch(client, counter["token"], spread(60, 140, clock.now)).status_code == 201
    assert stored_alerts(session) == []


def test_a_score_at_the_target_does_not_alert(client, clock, counter, session, no_mail):
    set_target(session, counter["location"], 0.80)
    tap_batch(client, counter["token"], spread(170, 30, clock.now))  # 85 %
    assert stored_alerts(session) == []


def test_the_periodic_job_finds_a_shortfall_that_ingest_did_not(client, runner, clock, counter, session, no_mail):
    # The responses came in before any target was set; then the office publishes 80 %.
    tap_batch(client, counter["token"], spread(140, 60, clock.now))
    assert stored_alerts(session) == []
    set_target(session, counter["location"], 0.80)
    assert tap(client, counter["token"], 5, clock.now).status_code == 201  # (a positive: ingest evaluates nothing)
    assert stored_alerts(session) == []
    output = runner.invoke(args=["alerts", "run"], catch_exceptions=False).output
    assert "Raised 1 alert (below_target 1)." in output
    assert len(stored_alerts(session)) == 1
