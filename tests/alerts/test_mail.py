"""Alert e-mail through a real SMTP server (aiosmtpd on a free local port), read back and checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.models import Alert, Response, User
from feedback.services import alert_rules, alerts, mailer
from tests.alerts.conftest import chicago, stored_alerts, tap
from tests.dbfaults import free_port


@pytest.fixture
def people(session, counter, build, make_user):
    """A manager of the counter's office, a manager elsewhere, an admin, and an extra recipient on the rule."""
    manager = make_user("maria.manager@example.gov", "manager")
    elsewhere = make_user("omar.other@example.gov", "manager")
    admin = make_user("ada.admin@example.gov", "admin")
    other_office = build.office(name="Denver Office", tz="America/Denver")
    with write_transaction(session):
        session.get(User, manager.id).offices = [session.merge(counter["office"])]
        session.get(User, elsewhere.id).offices = [session.merge(other_office)]
        alert_rules.save_rules(
            session,
            admin,
            counter["location"].id,
            {"burst": {"enabled": True, "params": {}, "recipients": "Duty.Officer@example.gov"}},
        )
    return {"manager": manager, "admin": admin}


def burst(client, clock, token, count=5):
    """``count`` negative taps a minute apart from Monday 10:00; returns the last answer (closed)."""
    resp = None
    for minute in range(count):
        resp = tap(client, token, 1, clock.set(chicago(2026, 11, 30, 10, minute)))
        assert resp.status_code == 201
    return resp


def test_the_alert_is_e_mailed_to_the_managers_and_extra_recipients(
    client, clock, counter, people, session, smtp_server
):
    burst(client, clock, counter["token"])
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts) == ("sent", 1)
    assert alert.emailed_at == chicago(2026, 11, 30, 10, 4)

    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "alerts@feedback.example.gov"
    assert envelope.rcpt_tos == ["maria.manager@example.gov", "duty.officer@example.gov"]  # no admin, no other office
    [message] = smtp_server.messages
    assert message["To"] == "maria.manager@example.gov, duty.officer@example.gov"
    assert message["From"] == "alerts@feedback.example.gov"
    assert message["Subject"] == "[Counter feedback] CHI-1: 5 of the last 5 ratings were negative within 30 minutes"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content().replace("\r\n", "\n")
    assert "A burst of negative ratings at CHI-1 (Counter, Chicago Passport Agency)" in body
    assert "Raised: 2026-11-30 10:04 CST (the office's local time)" in body
    assert "  Negative ratings: 5 of the last 5\n" in body
    assert "  Rule: 5 negative of the last 8 within 30 minutes\n" in body
    assert "  First negative rating: 2026-11-30 10:00 CST\n" in body
    assert "  Latest negative rating: 2026-11-30 10:04 CST\n" in body
    assert f"See and acknowledge it: http://127.0.0.1:8000/admin/alerts/{alert.id}\n" in body


def test_the_e_mail_goes_after_the_answer_is_sent(client, clock, counter, people, session, smtp_server):
    for minute in range(4):
        tap(client, counter["token"], 1, clock.set(chicago(2026, 11, 30, 10, minute)))
    resp = client.post(
        "/api/v1/responses",
        json={
            "id": "6f1c1e52-8d7e-4b0c-9a51-3d1f0f2f5a11",
            "rating": 1,
            "language": "en",
            "client_time": clock.set(chicago(2026, 11, 30, 10, 4)).isoformat(),
        },
        headers={"Authorization": f"Bearer {counter['token']}"},
    )
    assert resp.status_code == 201
    # The answer is complete, the alert is stored, the message waits for the answer to be closed.
    [alert] = stored_alerts(session)
    assert alert.email_state == "pending"
    assert smtp_server.envelopes == []
    resp.close()
    assert len(smtp_server.envelopes) == 1
    assert stored_alerts(session)[0].email_state == "sent"


def test_admins_are_written_to_when_the_location_has_no_manager(
    client, clock, counter, session, smtp_server, make_user
):
    make_user("ada.admin@example.gov", "admin")
    make_user("bob.admin@example.gov", "admin")
    burst(client, clock, counter["token"])
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["ada.admin@example.gov", "bob.admin@example.gov"]


def test_a_failing_smtp_server_never_fails_the_ingest_and_the_job_retries(
    app, client, runner, clock, counter, people, session, smtp_server
):
    working = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    resp = burst(client, clock, counter["token"])
    assert resp.status_code == 201
    assert session.scalar(select(func.count()).select_from(Response)) == 5
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts) == ("failed", 1)
    assert alert.email_error.startswith("ConnectionRefusedError")

    app.config["SMTP_URL"] = working  # the server is back: the periodic job sends it
    clock.advance(minutes=5)
    output = runner.invoke(args=["alerts", "run"], catch_exceptions=False).output
    assert "E-mail: 1 sent, 0 failed, 0 skipped (1 failed retried, 0 abandoned sends released)." in output
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts, alert.email_error) == ("sent", 2, None)
    assert len(smtp_server.envelopes) == 1


def test_a_refusing_server_is_tried_three_times_in_all(client, runner, clock, counter, people, session, smtp_server):
    smtp_server.refuse = True
    burst(client, clock, counter["token"])
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts) == ("failed", 1)
    assert alert.email_error.startswith("SMTPDataError: (554")
    for attempts in (2, 3, 3):
        clock.advance(minutes=5)
        runner.invoke(args=["alerts", "run"], catch_exceptions=False)
        [alert] = stored_alerts(session)
        assert (alert.email_state, alert.email_attempts) == ("failed", attempts)
    assert smtp_server.envelopes == []


def test_a_send_abandoned_by_a_dead_node_is_released(runner, clock, counter, people, session, smtp_server):
    clock.set(chicago(2026, 11, 30, 9, 30))
    [alert_id] = alerts.run_periodic(session, clock.now, email=True)  # a silence alert, pending
    assert mailer._claim(session, alert_id, clock.now)  # a node claimed it ... and died
    clock.advance(minutes=4)
    assert "0 sent" in runner.invoke(args=["alerts", "run"], catch_exceptions=False).output  # still its own
    clock.advance(minutes=2)
    output = runner.invoke(args=["alerts", "run"], catch_exceptions=False).output
    assert "E-mail: 1 sent, 0 failed, 0 skipped (0 failed retried, 1 abandoned sends released)." in output
    assert stored_alerts(session)[0].email_attempts == 2


def test_a_failing_evaluation_still_answers_201_and_stores_the_response(
    client, clock, counter, session, monkeypatch, no_mail
):
    def broken(*args, **kwargs):
        raise RuntimeError("the alert rules are broken")

    monkeypatch.setattr(alerts, "evaluate_ingested", broken)
    resp = tap(client, counter["token"], 1, clock.now)
    assert resp.status_code == 201
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_without_smtp_url_alerts_are_only_listed(client, runner, clock, counter, people, session, no_mail):
    burst(client, clock, counter["token"])
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts) == ("none", 0)
    assert "E-mail is off (SMTP_URL is not set)" in runner.invoke(args=["alerts", "run"]).output


def test_a_bad_smtp_url_is_a_clear_cli_error(app, runner, clock, counter):
    before = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = "http://mail.example.gov"
    try:
        result = runner.invoke(args=["alerts", "run"])
    finally:
        app.config["SMTP_URL"] = before
    assert result.exit_code == 1
    assert "SMTP_URL must look like smtp://host:port" in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.gov", ("smtp", "mail.example.gov", 25, None, None)),
        ("smtp://127.0.0.1:2525", ("smtp", "127.0.0.1", 2525, None, None)),
        (
            "smtp+starttls://alerts:s%40cret@mail.example.gov",
            ("smtp+starttls", "mail.example.gov", 587, "alerts", "s@cret"),
        ),
        (
            "smtps://alerts%40agency.gov:pw@mail.example.gov:465",
            ("smtps", "mail.example.gov", 465, "alerts@agency.gov", "pw"),
        ),
    ],
)
def test_smtp_urls(url, expected):
    m = mailer.Mailer.parse(url)
    assert (m.scheme, m.host, m.port, m.username, m.password) == expected


def test_no_smtp_url_means_no_mailer():
    assert mailer.Mailer.from_config({"SMTP_URL": None}) is None
    assert (
        mailer.Mailer.from_config({"SMTP_URL": "smtp://h:26", "PUBLIC_URL": "https://x.gov/"}).public_url
        == "https://x.gov"
    )
    with pytest.raises(ValueError, match="SMTP_URL must look like"):
        mailer.Mailer.parse("smtp://")


def test_retry_waits_for_failed_alerts_only(session, clock, counter, no_mail):
    moment = clock.set(chicago(2026, 11, 30, 9, 30))
    [alert_id] = alerts.run_periodic(session, moment, email=True)
    with write_transaction(session):
        session.get(Alert, alert_id).email_attempts = 3
        session.get(Alert, alert_id).email_state = "failed"
    assert mailer.requeue(session, moment + timedelta(hours=1)) == (0, 0)
