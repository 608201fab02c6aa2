"""Service standards: each location's and office's tally for a fiscal quarter against its
published targets (CSAT and, optionally, responses per week); the public scoreboard's figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import inspect, select

from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services import tally
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import Interval
from feedback.services.tally import Tally

MIN_WEEKS = 1.0


@dataclass(frozen=True)
class Standing:
    """One location's (or an office's) quarter against its standards."""

    quarter: FiscalQuarter
    tally: Tally  # not suspect; suspects counted apart
    target: float | None  # CSAT share 0..1
    weekly_target: int | None
    # Weeks the quarter has run in the office's local time (see the module's docstring);
    # None when it has not started yet.
    weeks: float | None
    state: str  # "past" | "current" | "future" (for the office's local today)

    @property
    def responses(self) -> int:
        return self.tally.count

    @property
    def positive(self) -> int:
        return self.tally.positive

    @property
    def suspects(self) -> int:
        return self.tally.suspects

    @property
    def csat(self) -> float | None:
        return self.tally.csat

    @property
    def interval(self) -> Interval | None:
        return self.tally.interval

    @property
    def verdict(self) -> str:
        """``met``, ``not_met``, ``too_few``, ``no_target`` or ``no_data`` (see stats.verdict)."""
        return self.tally.verdict(self.target)

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
        return "met" if self.responses / self.weeks >= self.weekly_target else "not_met"


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


def local_today(office: Office, now: datetime) -> date:
    return now.astimezone(office.tz).date()


def current_quarter(offices: Iterable[Office], now: datetime) -> FiscalQuarter:
    """The quarter of today in the offices' local time (the latest of their dates; UTC's without offices)."""
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
) -> dict[tuple[int, FiscalQuarter], Tally]:
    """Tallies (suspects apart) per (location, quarter): one read of the hourly rollups."""
    if not location_ids or not quarters:
        return {}
    quarters = sorted(set(quarters))
    read = tally.read(session, location_ids, [(q.start, q.end) for q in quarters], group="location")
    return {
        (loc_id, q): found
        for q, counted in zip(quarters, read, strict=True)
        for loc_id, found in counted.groups.items()
    }


def _weekly_sum(locations: Iterable[Location]) -> int | None:
    """An office's weekly target as the sum of its locations' (own or inherited) targets; None
    unless every location has one, since a partial sum would be compared with every response."""
    targets = [loc.effective_weekly_response_target for loc in locations]
    known = [t for t in targets if t is not None]
    return sum(known) if known and len(known) == len(targets) else None


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
    session: DbSession, locations: Sequence[Location], quarters: Sequence[FiscalQuarter], *, now: datetime
) -> list[OfficeRows]:
    """Standings of ``locations`` (offices loaded) for each of ``quarters``, grouped by office
    (by office name, then location code). Locations in ``locations`` only: the caller scopes."""
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
            total = Tally()
            for row in rows.locations:
                loc = row.location
                got = found.get((loc.id, quarter), Tally())
                total.add(got)
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


def scoreboard(session: DbSession, office: Office, *, now: datetime) -> Scoreboard:
    """The office's active locations this quarter and last (in the office's local time)."""
    this = FiscalQuarter.of(local_today(office, now))
    active = [loc for loc in office.locations if loc.active]
    rows = report(session, active, [this, this.previous()], now=now)
    return Scoreboard(office, this, this.previous(), rows[0] if rows else None)


def published_office(session: DbSession, slug: str) -> Office | None:
    """The office at ``slug`` if it publishes a scoreboard; None otherwise (unknown or not opted in)."""
    return session.scalar(select(Office).where(Office.slug == slug, Office.scoreboard_public.is_(True)))


def published_offices(session: DbSession) -> list[Office]:
    """The offices that publish a scoreboard, by name (the public 404 page links to them)."""
    return list(session.scalars(select(Office).where(Office.scoreboard_public.is_(True)).order_by(Office.name)))
