"""E-mail delivery of alerts through SMTP, claimed so that several nodes never send one twice.

``SMTP_URL`` names the server: ``smtp://host:25`` (plain), ``smtp+starttls://user:pass@host:587``
or ``smtps://user:pass@host:465`` (TLS from the start); user and password are URL-encoded.
Unset, e-mail is off: alerts are stored with ``email_state`` ``none`` and only listed in the
admin site.

Delivery of one alert: ``UPDATE alerts SET email_state='sending', email_attempts=email_attempts+1
WHERE id=:id AND email_state='pending'``. Only the node whose update changes the row sends; it
then marks the alert ``sent`` or ``failed`` (with the error). ``flask alerts run`` puts failed
alerts back to ``pending`` until MAX_ATTEMPTS attempts were made, and releases alerts left in
``sending`` for longer than STALE_SENDING (the node died mid-send; ``emailed_at`` holds the
start of the attempt while sending).

Recipients: the rule's extra addresses, plus the active managers of the location (assigned to
it or to its office). Admins are written to only when the location has no manager, so that
someone always hears of it without every admin getting every counter's alerts.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from feedback import metrics
from feedback.database import DbSession, rowcount, write_transaction
from feedback.models import Alert, Location, User, user_locations, user_offices
from feedback.services.alert_log import figures

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_SENDING = timedelta(minutes=5)
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
ERROR_MAX = 300


@dataclass(frozen=True)
class Mailer:
    """Where and how to send: the parsed ``SMTP_URL`` and the message settings."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    sender: str = "counter-feedback@localhost"
    public_url: str = "http://127.0.0.1:8000"
    timeout: float = 10.0

    @classmethod
    def parse(cls, url: str, **settings: Any) -> Mailer:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                f"SMTP_URL must look like smtp://host:port, smtp+starttls://user:pass@host:587 "
                f"or smtps://user:pass@host:465, got scheme {parts.scheme!r}"
            )
        return cls(
            scheme,
            parts.hostname,
            parts.port or DEFAULT_PORTS[scheme],
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
            **settings,
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Mailer | None:
        """The configured mailer, or None when ``SMTP_URL`` is unset (e-mail off)."""
        url = config.get("SMTP_URL")
        if not url:
            return None
        return cls.parse(
            url,
            sender=config.get("ALERT_MAIL_FROM") or "counter-feedback@localhost",
            public_url=(config.get("PUBLIC_URL") or "").rstrip("/"),
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10),
        )

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raises smtplib.SMTPException or OSError on failure."""
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if self.scheme == "smtps":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection:
            if self.scheme == "smtp+starttls":
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password or "")
            connection.send_message(message)


def recipients(session: DbSession, alert: Alert) -> list[str]:
    """Who hears of ``alert``: the rule's extra addresses and the location's managers (admins if none)."""
    location = alert.location
    managers = set(
        session.scalars(
            select(User.email).where(
                User.active.is_(True),
                User.role == "manager",
                or_(
                    User.id.in_(select(user_locations.c.user_id).where(user_locations.c.location_id == location.id)),
                    User.id.in_(select(user_offices.c.user_id).where(user_offices.c.office_id == location.office_id)),
                ),
            )
        )
    )
    if not managers:
        managers = set(session.scalars(select(User.email).where(User.active.is_(True), User.role == "admin")))
    extra = [a for a in (alert.rule.recipients or []) if a not in managers]
    return sorted(managers) + extra


KIND_TITLES = {
    "burst": "A burst of negative ratings",
    "below_target": "Score below target",
    "silence": "No responses (silent kiosk?)",
}


def compose(alert: Alert, to: list[str], mailer: Mailer, now: datetime) -> EmailMessage:
    """The plain-text message about ``alert``: the location, what happened, the figures, a link."""
    location = alert.location
    office = location.office
    raised = alert.raised_at.astimezone(office.tz).strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"{KIND_TITLES.get(alert.kind, alert.kind)} at {location.code} ({location.name}, {office.name})",
        "",
        alert.summary,
        f"Raised: {raised} (the office's local time)",
        "",
        "Figures:",
        *(f"  {label}: {value}" for label, value in figures(alert)),
        "",
        f"See and acknowledge it: {mailer.public_url}/admin/alerts/{alert.id}",
        "",
        "-- ",
        "Counter feedback. You receive this as a manager of the location or as a recipient named in",
        "its alert rule; the rule is set on the location's alert settings page.",
    ]
    message = EmailMessage()
    message["Subject"] = f"[Counter feedback] {alert.summary}"
    message["From"] = mailer.sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(f"alert{alert.id}", domain=mailer.sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n")
    return message


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another node, or nobody to write to


def _claim(session: DbSession, alert_id: int, now: datetime) -> bool:
    with write_transaction(session):
        claimed = rowcount(
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.email_state == "pending")
                .values(email_state="sending", email_attempts=Alert.email_attempts + 1, emailed_at=now)
                .execution_options(synchronize_session=False)
            )
        )
    return claimed == 1


def _finish(session: DbSession, alert_id: int, **values: object) -> None:
    with write_transaction(session):
        session.execute(
            update(Alert)
            .where(Alert.id == alert_id, Alert.email_state == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def deliver(
    session: DbSession, mailer: Mailer, now: datetime, *, ids: Iterable[int] | None = None, limit: int = 200
) -> Report:
    """Send the pending alerts (``ids``, or every pending one up to ``limit``), each claimed first."""
    report = Report()
    if ids is None:
        ids = list(
            session.scalars(select(Alert.id).where(Alert.email_state == "pending").order_by(Alert.id).limit(limit))
        )
        session.commit()
    for alert_id in ids:
        if not _claim(session, alert_id, now):
            report.skipped += 1
            continue
        alert = session.scalars(
            select(Alert)
            .options(joinedload(Alert.location).joinedload(Location.office), joinedload(Alert.rule))
            .where(Alert.id == alert_id)
        ).one()  # the row just claimed
        kind = alert.kind
        to = recipients(session, alert)
        message = compose(alert, to, mailer, now) if to else None
        session.commit()  # no transaction stays open while the SMTP server is talked to
        if message is None:
            _finish(session, alert_id, email_state="none", email_error="Nobody to write to.")
            report.skipped += 1
            continue
        try:
            mailer.send(message)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            log.warning("E-mail of alert %s failed: %s", alert_id, error)
            _finish(session, alert_id, email_state="failed", email_error=error)
            metrics.alert_sent(kind, ok=False)
            report.failed += 1
        else:
            _finish(session, alert_id, email_state="sent", emailed_at=now, email_error=None)
            metrics.alert_sent(kind)
            report.sent += 1
    return report


def requeue(session: DbSession, now: datetime) -> tuple[int, int]:
    """Put failed alerts with attempts left back to pending, and release sends abandoned by a dead
    node. Returns (retried, released). Safe to run on several nodes at once."""
    with write_transaction(session):
        retried = rowcount(
            session.execute(
                update(Alert)
                .where(Alert.email_state == "failed", Alert.email_attempts < MAX_ATTEMPTS)
                .values(email_state="pending")
                .execution_options(synchronize_session=False)
            )
        )
        stale = (Alert.email_state == "sending", Alert.emailed_at < now - STALE_SENDING)
        released = rowcount(
            session.execute(
                update(Alert)
                .where(*stale, Alert.email_attempts < MAX_ATTEMPTS)
                .values(email_state="pending")
                .execution_options(synchronize_session=False)
            )
        )
        released += rowcount(
            session.execute(
                update(Alert)
                .where(*stale)
                .values(email_state="failed", email_error="Stopped while sending.")
                .execution_options(synchronize_session=False)
            )
        )
    return retried, released
