"""Silence: no response for 60 minutes of opening hours at a location with an active kiosk,
found by the periodic job (``flask alerts run``, invoked through the CLI runner)."""

from __future__ import annotations

from feedback.database import write_transaction
from feedback.models import Device, Office
from tests.alerts.conftest import chicago, stored_alerts, tap


def run_alerts(runner) -> str:
    result = runner.invoke(args=["alerts", "run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_silence_during_opening_hours_alerts_once_per_silent_spell(client, runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 8, 30))
    assert tap(client, counter["token"], 5, clock.now).status_code == 201  # Monday 08:30, then nothing

    clock.set(chicago(2026, 11, 30, 9, 29))
    assert "Raised 0 alerts." in run_alerts(runner)
    clock.set(chicago(2026, 11, 30, 9, 30))  # 60 minutes
    output = run_alerts(runner)
    assert "Raised 1 alert (silence 1)." in output
    assert "E-mail is off" in output
    [alert] = stored_alerts(session)
    assert alert.kind == "silence"
    assert alert.claim_key == "silence:2026-11-30T14:30:00Z"
    assert alert.summary == "CHI-1: no response for 60 minutes or more of opening hours"
    assert alert.details["quiet_minutes"] == 60 and alert.details["active_kiosks"] == 1
    assert alert.raised_at == chicago(2026, 11, 30, 9, 30)

    # The same silence, evaluated again (by this node or another): no second alert.
    clock.set(chicago(2026, 11, 30, 10, 15))
    assert "Raised 0 alerts." in run_alerts(runner)
    assert "Raised 0 alerts." in run_alerts(runner)

    # A response ends the spell; the next silence is a new one.
    clock.set(chicago(2026, 11, 30, 10, 20))
    tap(client, counter["token"], 4, clock.now)
    clock.set(chicago(2026, 11, 30, 11, 19))
    assert "Raised 0 alerts." in run_alerts(runner)
    clock.set(chicago(2026, 11, 30, 11, 21))
    assert "Raised 1 alert (silence 1)." in run_alerts(runner)
    assert [a.claim_key for a in stored_alerts(session)] == [
        "silence:2026-11-30T14:30:00Z",
        "silence:2026-11-30T16:20:00Z",
    ]


def test_no_silence_alert_outside_opening_hours(client, runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 15, 0))
    tap(client, counter["token"], 5, clock.now)
    for moment in (
        chicago(2026, 11, 30, 17, 30),  # Monday evening, closed since 16:30
        chicago(2026, 11, 30, 23, 0),
        chicago(2026, 12, 1, 7, 59),  # Tuesday before opening
        chicago(2026, 12, 5, 11, 0),
    ):  # Saturday
        clock.set(moment)
        assert "Raised 0 alerts." in run_alerts(runner), moment
    # Only opening time counts: 90 minutes Monday afternoon, but the office is closed now.
    assert stored_alerts(session) == []
    # Tuesday 08:05: Monday's last 90 open minutes count, and the office is open.
    clock.set(chicago(2026, 12, 1, 8, 5))
    assert "Raised 1 alert (silence 1)." in run_alerts(runner)


def test_only_opening_time_counts(client, runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 16, 0))
    tap(client, counter["token"], 5, clock.now)  # 30 open minutes left on Monday
    clock.set(chicago(2026, 12, 1, 8, 29))  # + 29 on Tuesday = 59
    assert "Raised 0 alerts." in run_alerts(runner)
    clock.set(chicago(2026, 12, 1, 8, 30))
    assert "Raised 1 alert (silence 1)." in run_alerts(runner)


def test_no_silence_alert_without_an_active_kiosk(client, runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 8, 30))
    tap(client, counter["token"], 5, clock.now)
    with write_transaction(session):
        session.get(Device, counter["device"].id).revoked_at = chicago(2026, 11, 30, 8, 45)
    clock.set(chicago(2026, 11, 30, 11, 0))
    assert "Raised 0 alerts." in run_alerts(runner)
    assert stored_alerts(session) == []


def test_a_kiosk_never_heard_from_counts_from_its_enrolment(runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 9, 0))  # enrolled Monday a week ago, not a response since
    assert "Raised 1 alert (silence 1)." in run_alerts(runner)
    [alert] = stored_alerts(session)
    assert alert.details["since"] == chicago(2026, 11, 23, 9, 0).isoformat()


def test_an_office_without_opening_hours_never_alerts(runner, clock, counter, session, no_mail):
    with write_transaction(session):
        session.get(Office, counter["office"].id).opening_hours = {}
    assert "Raised 0 alerts." in run_alerts(runner)


def test_alerts_list_prints_the_open_alerts(runner, clock, counter, session, no_mail):
    assert "No alerts." in runner.invoke(args=["alerts", "list"]).output
    clock.set(chicago(2026, 11, 30, 9, 0))
    run_alerts(runner)
    [alert] = stored_alerts(session)
    output = runner.invoke(args=["alerts", "list"], catch_exceptions=False).output
    assert output == (
        f"#{alert.id}  2026-11-30 15:00Z  CHI-1  silence  open  e-mail none  "
        "CHI-1: no response for 60 minutes or more of opening hours\n"
    )
