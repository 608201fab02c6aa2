"""Scheduled e-mail digests of a manager's scope: scores against targets per location, notable
comments and the attention list, weekly (and optionally daily).

When: the ``digests`` job (``feedback/scheduler.py``) runs every ``SCHEDULE_DIGESTS_SECONDS``
and sends each subscribed user the digests that are due in their home zone (the time zone of the
first office of their scope, by name): the weekly one from ``DIGEST_WEEKDAY`` at ``DIGEST_HOUR``
until the end of that ISO week, the daily one from ``DIGEST_HOUR`` until the end of the day.

Once: a digest is claimed by inserting its ``digest_sends`` row (unique user, kind and period,
``INSERT ... ON CONFLICT DO NOTHING``), so any number of scheduler nodes send it once. A send the
SMTP server refused is tried again by a later run, up to ``MAX_ATTEMPTS`` in all.

What: :func:`build` reads the same figures as the dashboards (``tally.read``, the one reader of
the rollups) for the 7 local days (1 for the daily digest) before today. Composing the message
(translated, plain text and HTML) is the caller's: ``feedback/digest_mail.py``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from feedback.database import DbSession, insert_for, rowcount, write_transaction
from feedback.models import DigestSend, DigestSubscription, Location, Office, Response, SurveyVersion, User
from feedback.models.digests import DIGEST_KINDS
from feedback.models.org import WEEKDAYS
from feedback.scales import SCALES
from feedback.services import digest_attention, users
from feedback.services.digest_attention import AttentionItem
from feedback.services.responses_query import utc_bounds
from feedback.services.tally import Tally, read

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
NOTABLE_COMMENTS = 5
ATTENTION_MAX = 10
ERROR_MAX = 300
LANGUAGES = ("en", "es")
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Schedule:
    """When digests go out, in each user's home zone: weekday (0 = Monday) and hour."""

    weekday: int = 0
    hour: int = 7

    @classmethod
    def from_config(cls, weekday: str, hour: int) -> Schedule:
        day = weekday.strip().lower()[:3]
        if day not in WEEKDAYS:
            raise ValueError(f"DIGEST_WEEKDAY must be one of {', '.join(WEEKDAYS)}, got {weekday!r}")
        if not 0 <= hour <= 23:
            raise ValueError(f"DIGEST_HOUR must be 0 to 23, got {hour}")
        return cls(WEEKDAYS.index(day), hour)


# --- subscriptions ---------------------------------------------------------------------------------


def subscription(session: DbSession, user_id: int) -> DigestSubscription | None:
    return session.get(DigestSubscription, user_id)


def subscribe(session: DbSession, user: User, now: datetime, *, weekly: bool, daily: bool, language: str) -> bool:
    """Store ``user``'s digest settings (caller's transaction); True when something changed."""
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    row = session.get(DigestSubscription, user.id)
    if row is None:
        if not weekly and not daily:
            return False
        session.add(DigestSubscription(user_id=user.id, weekly=weekly, daily=daily, language=language, updated_at=now))
        return True
    changed = (row.weekly, row.daily, row.language) != (weekly, daily, language)
    row.weekly, row.daily, row.language, row.updated_at = weekly, daily, language, now
    return changed


# --- when ------------------------------------------------------------------------------------------


def home_zone(session: DbSession, user: User) -> ZoneInfo:
    """The zone digests are timed in: the first office of the user's scope by name (UTC if none)."""
    office_ids = users.scope_office_ids(session, user)
    if not office_ids:
        return UTC_ZONE
    zone = session.scalar(select(Office.timezone).where(Office.id.in_(office_ids)).order_by(Office.name).limit(1))
    return ZoneInfo(zone) if zone else UTC_ZONE


def period_key(kind: str, day: date) -> str:
    if kind == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def is_due(kind: str, local_now: datetime, schedule: Schedule) -> bool:
    """Whether the digest of the period ``local_now`` falls in is due (from its time to its end)."""
    if local_now.hour < schedule.hour and (kind == "daily" or local_now.weekday() == schedule.weekday):
        return False
    return kind == "daily" or local_now.weekday() >= schedule.weekday


def next_send(kind: str, local_now: datetime, schedule: Schedule) -> datetime:
    """The next time the ``kind`` digest goes out after ``local_now`` (local, aware)."""
    today = local_now.replace(hour=schedule.hour, minute=0, second=0, microsecond=0)
    if kind == "daily":
        return today if today > local_now else today + timedelta(days=1)
    candidate = today + timedelta(days=(schedule.weekday - local_now.weekday()) % 7)
    return candidate if candidate > local_now else candidate + timedelta(days=7)


def covered_days(kind: str, today: date) -> tuple[date, date]:
    """The local dates a digest sent on ``today`` covers: the 7 days (or 1) before it."""
    days = 7 if kind == "weekly" else 1
    return today - timedelta(days=days), today - timedelta(days=1)


# --- what ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationLine:
    """One location's score over the digest's days, the days before them, and its target."""

    code: str
    name: str
    office: str
    tally: Tally
    previous: Tally
    target: float | None

    @property
    def verdict(self) -> str:
        return self.tally.verdict(self.target)


@dataclass(frozen=True)
class NotableComment:
    code: str
    local_time: datetime  # in the office's zone
    rating: int
    scale: str
    text: str


@dataclass
class Digest:
    kind: str
    email: str
    zone: ZoneInfo
    start: date
    end: date
    locations: list[LocationLine] = field(default_factory=list)
    total: Tally = field(default_factory=Tally)
    comments: list[NotableComment] = field(default_factory=list)
    attention: list[AttentionItem] = field(default_factory=list)

    @property
    def period_key(self) -> str:
        return period_key(self.kind, self.end + timedelta(days=1))

    @property
    def below_target(self) -> list[LocationLine]:
        return [line for line in self.locations if line.verdict == "not_met"]


def _scoped_locations(session: DbSession, user: User) -> list[Location]:
    ids = users.scope_location_ids(session, user)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Location)
            .options(joinedload(Location.office))
            .where(Location.id.in_(ids), Location.active.is_(True))
            .order_by(Location.code)
        )
    )


def notable_comments(session: DbSession, locations: list[Location], start: date, end: date) -> list[NotableComment]:
    """The newest comments with a negative rating (spam left out) of ``start..end``."""
    found: list[NotableComment] = []
    for location in locations:
        tz = location.office.tz
        lo, hi = utc_bounds(tz, start, end)
        rows = session.execute(
            select(Response.client_time, Response.rating, SurveyVersion.scale, Response.comment)
            .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
            .where(
                Response.location_id == location.id,
                Response.client_time >= lo,
                Response.client_time < hi,
                func.coalesce(Response.comment, "") != "",
                Response.comment_state.is_distinct_from("spam"),
            )
            .order_by(Response.client_time.desc())
            .limit(50)
        ).all()
        found.extend(
            NotableComment(location.code, r.client_time.astimezone(tz), r.rating, r.scale, r.comment or "")
            for r in rows
            if not SCALES[r.scale].is_positive(r.rating)
        )
    found.sort(key=lambda c: c.local_time, reverse=True)
    return found[:NOTABLE_COMMENTS]


def attention(session: DbSession, locations: list[Location], now: datetime) -> list[AttentionItem]:
    """What needs looking at: the admin home page's list (``services/attention.py``) for the scope."""
    return digest_attention.items(session, [loc.id for loc in locations], now, ATTENTION_MAX)


def build(session: DbSession, user: User, kind: str, now: datetime, zone: ZoneInfo | None = None) -> Digest:
    """The ``kind`` digest of ``user``'s scope as it would be sent at ``now``."""
    if kind not in DIGEST_KINDS:
        raise ValueError(f"unknown digest kind {kind!r}")
    zone = zone or home_zone(session, user)
    start, end = covered_days(kind, now.astimezone(zone).date())
    span = end - start + timedelta(days=1)
    locations = _scoped_locations(session, user)
    digest = Digest(kind, user.email, zone, start, end)
    if not locations:
        return digest
    this, before = read(
        session, [loc.id for loc in locations], [(start, end), (start - span, end - span)], group="location"
    )
    digest.total = this.total
    for loc in locations:
        digest.locations.append(
            LocationLine(
                loc.code,
                loc.name,
                loc.office.name,
                this.groups.get(loc.id, Tally()),
                before.groups.get(loc.id, Tally()),
                loc.effective_csat_target,
            )
        )
    digest.comments = notable_comments(session, locations, start, end)
    digest.attention = attention(session, locations, now)
    return digest


# --- sending ---------------------------------------------------------------------------------------


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another node or an earlier run

    def __str__(self) -> str:
        return f"{self.sent} digests sent, {self.failed} failed, {self.skipped} already sent"


Compose = Callable[[Digest, str], EmailMessage]
Send = Callable[[EmailMessage], None]


def claim(session: DbSession, user_id: int, kind: str, key: str, now: datetime, node: str) -> int | None:
    """Claim the digest (insert its row; committed at once): its id, or None if it is taken. A
    failed send with attempts left is claimed again."""
    with write_transaction(session):
        stmt = (
            insert_for(session.get_bind().dialect.name, DigestSend)
            .values(user_id=user_id, kind=kind, period_key=key, claimed_at=now, node=node[:128], state="sending")
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "period_key"])
            .returning(DigestSend.id)
        )
        claimed = session.scalar(stmt)
        if claimed is not None:
            return claimed
        retry = session.scalar(
            select(DigestSend.id).where(
                DigestSend.user_id == user_id, DigestSend.kind == kind, DigestSend.period_key == key
            )
        )
        again = update(DigestSend).where(
            DigestSend.id == retry, DigestSend.state == "failed", DigestSend.attempts < MAX_ATTEMPTS
        )
        won = rowcount(
            session.execute(
                again.values(
                    state="sending", attempts=DigestSend.attempts + 1, claimed_at=now, node=node[:128]
                ).execution_options(synchronize_session=False)
            )
        )
    return retry if won == 1 else None


def _finish(session: DbSession, send_id: int, state: str, error: str | None = None) -> None:
    with write_transaction(session):
        session.execute(
            update(DigestSend)
            .where(DigestSend.id == send_id)
            .values(state=state, error=error)
            .execution_options(synchronize_session=False)
        )


def send_due(session: DbSession, now: datetime, compose: Compose, send: Send, schedule: Schedule, node: str) -> Report:
    """Send every subscribed active user the digests due now, each claimed first."""
    report = Report()
    subscribers = session.execute(
        select(User, DigestSubscription)
        .join(DigestSubscription, DigestSubscription.user_id == User.id)
        .where(User.active.is_(True))
        .order_by(User.id)
    ).all()
    for user, sub in subscribers:
        zone = home_zone(session, user)
        local_now = now.astimezone(zone)
        for kind in DIGEST_KINDS:
            if not getattr(sub, kind) or not is_due(kind, local_now, schedule):
                continue
            send_id = claim(session, user.id, kind, period_key(kind, local_now.date()), now, node)
            if send_id is None:
                report.skipped += 1
                continue
            message = compose(build(session, user, kind, now, zone), sub.language)
            session.commit()  # no transaction stays open while the SMTP server is talked to
            try:
                send(message)
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
                log.warning("Digest %s of user %s failed: %s", kind, user.id, error)
                _finish(session, send_id, "failed", error)
                report.failed += 1
            else:
                _finish(session, send_id, "sent")
                report.sent += 1
    session.commit()
    return report
