"""What needs doing, for the admin home page and the navigation's badges: the user's locations
below their CSAT target this quarter (and whether the 95 % interval makes it clear), open
alerts, open comments (after a negative rating first), kiosks silent during opening hours, and
the A-11 customer volumes still missing before the quarter's report is due.

Each item names the admin endpoint (and its arguments) where it is handled; the view makes the
link. Scores come from :mod:`feedback.services.standards` (rollups through ``tally``), the rules
from the services that own them (``kiosks.is_silent``, ``stats.verdict``, ``fiscal``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import Alert, Device, Location, Response, SurveyVersion
from feedback.models.responses import CHANNELS
from feedback.scales import SCALES
from feedback.services import a11, kiosks, standards, tally, volumes
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import Interval

SEVERITIES = ("high", "medium", "low")  # most urgent first
KINDS = (
    "below_target",
    "more_below_target",
    "alerts",
    "silent_kiosks",
    "negative_comments",
    "volumes",
    "other_comments",
)
# Locations below target listed one by one; a central office's hundreds more are one line that
# leads to the standards page (a list of hundreds is not "one look", and drawing it took most of
# an admin's home page time at 10 M responses).
BELOW_TARGET_SHOWN = 10


@dataclass(frozen=True)
class Item:
    """One thing to act on. ``count`` is how many (locations, alerts, comments, kiosks, figures)."""

    kind: str  # one of KINDS
    severity: str  # one of SEVERITIES
    count: int
    endpoint: str  # where it is handled (an admin endpoint) ...
    args: dict[str, str] = field(default_factory=dict)  # ... and its URL arguments
    location: Location | None = None  # below_target: the location
    csat: float | None = None  # below_target: this quarter's CSAT, target and 95 % interval
    target: float | None = None
    interval: Interval | None = None
    responses: int = 0
    clear: bool = False  # below_target: even the interval's top is below the target
    names: tuple[str, ...] = ()  # silent kiosks' labels; alert kinds; the volumes' location codes
    quarter: FiscalQuarter | None = None  # below_target, volumes
    due: date | None = None  # volumes: the quarter's A-11 report is due on this date
    overdue: bool = False  # volumes: the quarter is over (the figures can be known)

    @property
    def gap_points(self) -> float | None:
        """How far below the target, in percentage points (positive)."""
        if self.csat is None or self.target is None:
            return None
        return (self.target - self.csat) * 100


@dataclass(frozen=True)
class Attention:
    items: list[Item]  # most urgent first
    quarter: FiscalQuarter  # the quarter the scores are of

    def of(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]


@dataclass(frozen=True)
class Badges:
    """The navigation's counts."""

    alerts: int
    comments: int


def _open_alerts(session: DbSession, ids: list[int]) -> list[str]:
    """The kinds of the open (unacknowledged) alerts, one entry per alert."""
    return list(
        session.scalars(
            select(Alert.kind).where(Alert.location_id.in_(ids), Alert.acknowledged_at.is_(None)).order_by(Alert.id)
        )
    )


def badges(session: DbSession, scope: Collection[int]) -> Badges:
    """Open alerts and open comments of ``scope``: two counts, the second from the inbox's index."""
    ids = sorted(scope)
    if not ids:
        return Badges(0, 0)
    alerts = session.scalar(
        select(func.count()).select_from(Alert).where(Alert.location_id.in_(ids), Alert.acknowledged_at.is_(None))
    )
    comments = session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.location_id.in_(ids), Response.comment_state == "open")
    )
    return Badges(int(alerts or 0), int(comments or 0))


def open_comments(session: DbSession, ids: list[int]) -> tuple[int, int]:
    """(open comments after a negative rating, the other open comments)."""
    negative = other = 0
    rows = session.execute(
        select(SurveyVersion.scale, Response.rating, func.count())
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(Response.location_id.in_(ids), Response.comment_state == "open")
        .group_by(SurveyVersion.scale, Response.rating)
    )
    for scale, rating, n in rows:
        if SCALES[scale].is_positive(rating):
            other += int(n)
        else:
            negative += int(n)
    return negative, other


def _below_target(session: DbSession, locations: list[Location], quarter: FiscalQuarter, now: datetime) -> list[Item]:
    """Locations below their target this quarter: clearly (``not_met``) or perhaps (``too_few``)."""
    items = []
    for rows in standards.report(session, locations, [quarter], now=now):
        for row in rows.locations:
            standing = row.standings[quarter]
            if standing.verdict not in ("not_met", "too_few"):
                continue
            clear = standing.verdict == "not_met"
            items.append(
                Item(
                    "below_target",
                    "high" if clear else "low",
                    1,
                    "admin.location_detail",
                    {"code": row.location.code},
                    location=row.location,
                    csat=standing.csat,
                    target=standing.target,
                    interval=standing.interval,
                    responses=standing.responses,
                    clear=clear,
                    quarter=quarter,
                )
            )
    # the clear ones first, then the widest gap
    items.sort(key=lambda i: (not i.clear, -(i.gap_points or 0), i.location.code if i.location else ""))
    return items


def _silent_kiosks(session: DbSession, ids: list[int], now: datetime) -> list[str]:
    devices = session.scalars(
        select(Device)
        .join(Device.location)
        .options(joinedload(Device.location).joinedload(Location.office))
        .where(Device.location_id.in_(ids), Device.revoked_at.is_(None))
        .order_by(Location.code, Device.id)
    )
    return [d.label or d.location.code for d in devices if kiosks.is_silent(d, now)]


def report_quarter(today: date) -> FiscalQuarter:
    """The quarter whose A-11 report is due next: the last one until its due date, then this one."""
    current = FiscalQuarter.of(today)
    last = current.previous()
    return last if today <= last.report_due() else current


def _volumes(session: DbSession, locations: list[Location], today: date) -> Item | None:
    """(Location, channel) pairs with counted answers to an A-11 survey in the report's quarter and
    a customer volume not entered."""
    quarter = report_quarter(today)
    currents = a11.current_versions(session, {loc.survey_id for loc in locations})
    reported = [loc for loc in locations if loc.survey_id in currents and a11.reportable(currents[loc.survey_id])]
    if not reported:
        return None
    ids = [loc.id for loc in reported]
    answered = {
        (loc_id, channel)
        for channel in CHANNELS
        for loc_id, found in tally.read_one(
            session, ids, quarter.start, quarter.end, channel=channel, group="location"
        ).groups.items()
        if found.count
    }
    stored = volumes.for_quarter(session, ids, quarter)
    missing = sorted(
        pair
        for pair in answered
        if pair not in stored or any(getattr(stored[pair], name) is None for name in a11.VOLUME_FIELDS)
    )
    if not missing:
        return None
    codes = {loc.id: loc.code for loc in reported}
    over = today > quarter.end
    return Item(
        "volumes",
        "medium" if over else "low",
        len(missing),
        "admin.reporting",
        {"quarter": str(quarter)},
        names=tuple(sorted({codes[loc_id] for loc_id, _channel in missing})),
        quarter=quarter,
        due=quarter.report_due(),
        overdue=over,
    )


def attention(session: DbSession, scope: Collection[int], now: datetime) -> Attention:
    """What the user whose locations are ``scope`` should act on, most urgent first."""
    ids = sorted(scope)
    locations = list(
        session.scalars(
            select(Location)
            .options(joinedload(Location.office))
            .where(Location.id.in_(ids), Location.active.is_(True))
            .order_by(Location.code)
        )
    )
    quarter = standards.current_quarter({loc.office for loc in locations}, now)
    if not ids:
        return Attention([], quarter)
    items = _below_target(session, locations, quarter, now)
    if len(items) > BELOW_TARGET_SHOWN:
        rest = len(items) - BELOW_TARGET_SHOWN
        items = items[:BELOW_TARGET_SHOWN]
        more = Item("more_below_target", "low", rest, "admin.standards", {"quarter": str(quarter)}, quarter=quarter)
        items.append(more)
    alert_kinds = _open_alerts(session, ids)
    if alert_kinds:
        items.append(Item("alerts", "high", len(alert_kinds), "admin.alerts_list", names=tuple(alert_kinds)))
    silent = _silent_kiosks(session, ids, now)
    if silent:
        items.append(Item("silent_kiosks", "high", len(silent), "admin.kiosks", names=tuple(silent)))
    negative, other = open_comments(session, ids)
    if negative:
        items.append(Item("negative_comments", "medium", negative, "admin.comments_inbox"))
    today = max((now.astimezone(loc.office.tz).date() for loc in locations), default=now.date())
    volume_item = _volumes(session, locations, today)
    if volume_item is not None:
        items.append(volume_item)
    if other:
        items.append(Item("other_comments", "low", other, "admin.comments_inbox"))
    items.sort(key=lambda i: SEVERITIES.index(i.severity))  # stable: kinds keep their order
    return Attention(items, quarter)
