"""Alert tests: a clock the test moves, a counter with a kiosk, taps posted through the real API.

Times are in America/Chicago: Monday 30 November 2026 is CST (UTC-6); the office is open
Monday to Friday 08:00-16:30 (the default hours).
"""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Alert, Device
from tests.builders import auth, response_body
from tests.dbfaults import free_port

CHICAGO = ZoneInfo("America/Chicago")


def chicago(*args) -> datetime:
    """A local Chicago time as an aware UTC datetime."""
    return datetime(*args, tzinfo=CHICAGO).astimezone(UTC)


MONDAY_10 = chicago(2026, 11, 30, 10, 0)


class Clock:
    """``app.config["CLOCK"]``: returns ``now``, which the test sets or moves on."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(app):
    before = app.config.get("CLOCK")
    app.config["CLOCK"] = Clock(MONDAY_10)
    yield app.config["CLOCK"]
    app.config["CLOCK"] = before


@pytest.fixture
def no_mail(app):
    """E-mail off, whatever the environment says; restored after the test."""
    before = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = None
    yield
    app.config["SMTP_URL"] = before


@pytest.fixture
def counter(build, session):
    """A location (faces5) in a Chicago office with the default hours, and a kiosk enrolled last week."""
    office = build.office(name="Chicago Passport Agency", tz="America/Chicago")
    location = build.location(code="CHI-1", office=office)
    device, token = build.device(location)
    with write_transaction(session):
        session.get(Device, device.id).created_at = chicago(2026, 11, 23, 9, 0)
    return {"office": office, "location": location, "device": device, "token": token}


def tap(client, token, rating: int, when: datetime, **extra):
    """POST one kiosk response (closing the answer, as a server does once it is sent)."""
    resp = client.post("/api/v1/responses", json=response_body(rating=rating, when=when, **extra), headers=auth(token))
    resp.close()
    return resp


def tap_batch(client, token, items: list[tuple[int, datetime]]):
    body = {"responses": [response_body(rating=rating, when=when) for rating, when in items]}
    resp = client.post("/api/v1/responses/batch", json=body, headers=auth(token))
    resp.close()
    return resp


def stored_alerts(session) -> list[Alert]:
    """Alerts as committed (the test session's snapshot is dropped first)."""
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(Alert).order_by(Alert.id)))


# --- a real SMTP server -----------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps every message, or refuses them all while ``refuse`` is set."""

    def __init__(self):
        self.envelopes = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.3.0 Mailbox unavailable for this test"
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted"

    @property
    def messages(self):
        return [
            email.message_from_bytes(e.original_content or e.content, policy=policy.default) for e in self.envelopes
        ]


@pytest.fixture
def smtp_server(app):
    """A local SMTP server on a free port, with SMTP_URL pointing at it (restored after)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    before = app.config.get("SMTP_URL"), app.config.get("ALERT_MAIL_FROM")
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    app.config["ALERT_MAIL_FROM"] = "alerts@feedback.example.gov"
    try:
        yield inbox
    finally:
        controller.stop()
        app.config["SMTP_URL"], app.config["ALERT_MAIL_FROM"] = before
