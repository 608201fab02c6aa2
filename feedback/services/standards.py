"""Service standards: each location's and office's results for a fiscal quarter against its
published targets (CSAT and, optionally, responses per week).

Counts come from the ``response_hourly`` rollups only, in one grouped query for every asked
location and quarter, so the cost does not grow with the number of stored responses. Suspect
responses (repeat taps, repeat phone answers) are left out and counted separately; comments
marked as spam are taken out of the rollups when they are marked, so they are not counted.

The CSAT verdict uses the Wilson interval (``feedback.services.stats``): "not met" only when
even the interval's upper bound is below the target, so 12 responses are not declared failing
on noise.

Weekly responses are the quarter's responses divided by the weeks the quarter has run so far in
the office's local time (days elapsed / 7, counting today), or by its full length once it is
over (13 weeks, or 13 1/7 for a 92-day quarter). The divisor is at least one week, so the first
days of a quarter are not extrapolated from a day or two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, inspect, literal, select, union_all

from feedback.database import DbSession
from feedback.models import Location, Office, ResponseHourly
from feedback.models.rollups import RATING_COLUMNS
from feedback.scales import SCALES
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import Interval, verdict, wilson_interval
from feedback.sqltypes import utcnow

MIN_WEEKS = 1.0


@dataclass(frozen=True)
class Counts:
    responses: int = 0  # not suspect
    positive: int = 0
    suspects: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.responses + other.responses, self.positive + other.positive, self.suspects + other.suspects)


@dataclass(frozen=True)
class Standing:
    """One location's (or an office's) quarter against its standards."""

    quarter: FiscalQuarter
    counts: Counts
    target: float | None  # CSAT share 0..1
    weekly_target: int | None
    # Weeks the quarter has run in the office's local time (see the module's docstring);
    # None when it has not started yet.
    weeks: float | None
    state: str  # "past" | "current" | "future" (for the office's local today)

    @property
    def responses(self) -> int:
        return self.counts.responses

    @property
    def positive(self) -> int:
        return self.counts.positive

    @property
    def suspects(self) -> int:
        return self.counts.suspects

    @property
    def csat(self) -> float | None:
        return self.positive / self.responses if self.responses else None

    @property
    def interval(self) -> Interval | None:
        return wilson_interval(self.positive, self.responses)

    @property
    def verdict(self) -> str:
        """``met``, ``not_met``, ``too_few``, ``no_target`` or ``no_data`` (see stats.verdict)."""
        return verdict(self.positive, self.responses, self.target)

    @property
    def weekly_responses(self) -> float | None:
        return self.responses / self.weeks if self.weeks else None

    @property
    def weekly_verdict(self) -> str:
        """``met``, ``not_met``, ``no_target``, or ``no_data`` before the quarter starts."""
        if self.weekly_target is None:
            return "no_target"
        if self.weeks is None:
            return "no_data"
        return "met" if self.weekly_responses >= self.weekly_target else "not_met"


@dataclass
class LocationRow:
    location: Location
    standings: dict[FiscalQuarter, Standing]


@dataclass
class OfficeRows:
    """An office's asked locations and their sum. ``complete`` is False when only some of the
    office's locations were asked (a manager assigned to single counters): the sum covers those."""

    office: Office
    total: dict[FiscalQuarter, Standing]
    locations: list[LocationRow] = field(default_factory=list)
    complete: bool = True


def local_today(office: Office, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(office.tz).date()


def current_quarter(offices: Iterable[Office] = (), now: datetime | None = None) -> FiscalQuarter:
    """The quarter of today in the offices' local time (the latest of their dates; UTC's without offices)."""
    now = now or utcnow()
    days = [local_today(o, now) for o in offices]
    return FiscalQuarter.of(max(days) if days else now.date())


def recent_quarters(current: FiscalQuarter, count: int = 8) -> list[FiscalQuarter]:
    """``current`` and the ``count - 1`` quarters before it, newest first."""
    quarters = [current]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return quarters


def weeks_elapsed(quarter: FiscalQuarter, today: date) -> tuple[float | None, str]:
    """(weeks to divide the quarter's responses by, "past" | "current" | "future")."""
    if today < quarter.start:
        return None, "future"
    last = min(today, quarter.end)
    days = (last - quarter.start).days + 1
    return max(days / 7, MIN_WEEKS), "past" if today > quarter.end else "current"


def counts(
    session: DbSession, location_ids: Sequence[int], quarters: Sequence[FiscalQuarter]
) -> dict[tuple[int, FiscalQuarter], Counts]:
    """Responses, positive ratings and suspects per (location, quarter): one query over the hourly
    rollups, a grouped SELECT per quarter joined with UNION ALL.

    Each quarter is its own date range grouped on plain columns. Grouping every quarter at once on
    a CASE of the date (as before) made PostgreSQL expect a group per rollup row, so it sorted them
    all, spilling to disk, instead of hashing a few hundred groups: 2-3x the time of ``summarize``
    over the same rows (bench/accountability.py).
    """
    if not location_ids or not quarters:
        return {}
    ids = list(location_ids)
    quarters = sorted(set(quarters))
    parts = [
        select(
            literal(i).label("which"),
            ResponseHourly.location_id,
            ResponseHourly.scale,
            ResponseHourly.suspect,
            func.sum(ResponseHourly.n).label("n"),
            *(func.sum(getattr(ResponseHourly, c)).label(c) for c in RATING_COLUMNS),
        )
        .where(
            ResponseHourly.location_id.in_(ids),
            ResponseHourly.local_date >= q.start,
            ResponseHourly.local_date <= q.end,
        )
        .group_by(ResponseHourly.location_id, ResponseHourly.scale, ResponseHourly.suspect)
        .having(func.sum(ResponseHourly.n) != 0)  # buckets emptied by removals (e.g. spam)
        for i, q in enumerate(quarters)
    ]
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    found: dict[tuple[int, FiscalQuarter], Counts] = defaultdict(Counts)
    for row in session.execute(query):
        key = (row.location_id, quarters[row.which])
        n = int(row.n)
        if row.suspect:
            found[key] += Counts(suspects=n)
            continue
        spec = SCALES[row.scale]
        ratings = [int(getattr(row, c)) for c in RATING_COLUMNS]
        found[key] += Counts(responses=n, positive=sum(ratings[spec.positive_from - 1 : spec.points]))
    return dict(found)


def _weekly_sum(locations: Iterable[Location]) -> int | None:
    """An office's weekly target as the sum of its locations' (own or inherited) targets; None
    unless every location has one, since a partial sum would be compared with every response."""
    targets = [loc.effective_weekly_response_target for loc in locations]
    if not targets or any(t is None for t in targets):
        return None
    return sum(targets)


def _office_location_ids(session: DbSession, offices: Iterable[Office]) -> dict[int, set[int]]:
    """Every location id of each office: from ``office.locations`` where it is loaded (the
    scoreboard), else one query for all the others (not a lazy load per office)."""
    out: dict[int, set[int]] = {}
    unloaded = []
    for office in offices:
        if "locations" in inspect(office).unloaded:
            unloaded.append(office.id)
        else:
            out[office.id] = {loc.id for loc in office.locations}
    if unloaded:
        for loc_id, office_id in session.execute(
            select(Location.id, Location.office_id).where(Location.office_id.in_(unloaded))
        ):
            out.setdefault(office_id, set()).add(loc_id)
    return out


def report(
    session: DbSession, locations: Sequence[Location], quarters: Sequence[FiscalQuarter], *, now: datetime | None = None
) -> list[OfficeRows]:
    """Standings of ``locations`` (offices loaded) for each of ``quarters``, grouped by office
    (by office name, then location code). Locations in ``locations`` only: the caller scopes."""
    now = now or utcnow()
    found = counts(session, [loc.id for loc in locations], quarters)
    by_office: dict[int, OfficeRows] = {}
    for loc in sorted(locations, key=lambda x: (x.office.name, x.code)):
        office = loc.office
        if office.id not in by_office:
            by_office[office.id] = OfficeRows(office, {})
        by_office[office.id].locations.append(LocationRow(loc, {}))
    members = _office_location_ids(session, [rows.office for rows in by_office.values()])
    for rows in by_office.values():
        office = rows.office
        today = local_today(office, now)
        shown = [r.location for r in rows.locations]
        rows.complete = {loc.id for loc in shown} >= members.get(office.id, set())
        for quarter in quarters:
            weeks, state = weeks_elapsed(quarter, today)
            total = Counts()
            for row in rows.locations:
                loc = row.location
                got = found.get((loc.id, quarter), Counts())
                total += got
                row.standings[quarter] = Standing(
                    quarter, got, loc.effective_csat_target, loc.effective_weekly_response_target, weeks, state
                )
            rows.total[quarter] = Standing(quarter, total, office.csat_target, _weekly_sum(shown), weeks, state)
    return list(by_office.values())


@dataclass
class Scoreboard:
    office: Office
    this: FiscalQuarter
    last: FiscalQuarter
    rows: OfficeRows | None  # None when the office has no active location


def scoreboard(session: DbSession, office: Office, *, now: datetime | None = None) -> Scoreboard:
    """The office's active locations this quarter and last (in the office's local time)."""
    this = FiscalQuarter.of(local_today(office, now))
    active = [loc for loc in office.locations if loc.active]
    rows = report(session, active, [this, this.previous()], now=now)
    return Scoreboard(office, this, this.previous(), rows[0] if rows else None)


def published_office(session: DbSession, slug: str) -> Office | None:
    """The office at ``slug`` if it publishes a scoreboard; None otherwise (unknown or not opted in)."""
    return session.scalar(select(Office).where(Office.slug == slug, Office.scoreboard_public.is_(True)))
