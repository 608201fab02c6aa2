"""The dashboards' comparison: one row of figures per location over a range, sortable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services.tally import Tally, read_one

SORT_KEYS = ("location", "name", "office", "responses", "csat", "target", "gap", "mean", "suspects")


@dataclass
class CompareRow:
    location: Location
    office: Office
    figures: Tally

    @property
    def target(self) -> float | None:
        """The counter's own target, else its office's: ``Location.effective_csat_target``, the
        one rule standards, alerts and the scoreboard use too."""
        return self.location.effective_csat_target

    @property
    def gap(self) -> float | None:
        """CSAT minus target, in percentage points."""
        csat = self.figures.csat
        return (csat - self.target) * 100 if csat is not None and self.target is not None else None

    @property
    def below_target(self) -> bool:
        return self.gap is not None and self.gap < 0

    def sort_value(self, key: str) -> str | int | float | None:
        values: dict[str, str | int | float | None] = {
            "location": self.location.code,
            "name": self.location.name.casefold(),
            "office": self.office.name.casefold(),
            "responses": self.figures.count,
            "csat": self.figures.csat,
            "target": self.target,
            "gap": self.gap,
            "mean": self.figures.mean,
            "suspects": self.figures.suspects,
        }
        return values[key]


def compare(
    session: DbSession,
    locations: list[Location],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    sort: str = "location",
    descending: bool = False,
) -> list[CompareRow]:
    """One row per location over ``start..end`` (one rollup read grouped by location).

    Sorted by ``sort``; rows without a value (no responses, no target) come last either way,
    and ties keep the location code order.
    """
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}")
    by_id: dict[int, Tally] = {}
    offices: dict[int, Office] = {}
    if locations:
        by_id = read_one(session, [loc.id for loc in locations], start, end, channel=channel, group="location").groups
        offices = {
            o.id: o for o in session.scalars(select(Office).where(Office.id.in_({loc.office_id for loc in locations})))
        }
    rows = [
        CompareRow(loc, offices[loc.office_id], by_id.get(loc.id, Tally()))
        for loc in sorted(locations, key=lambda loc: loc.code)
    ]
    present = [r for r in rows if r.sort_value(sort) is not None]
    missing = [r for r in rows if r.sort_value(sort) is None]
    # Values of one key are of one type and never None here.
    present.sort(key=lambda r: cast(Any, r.sort_value(sort)), reverse=descending)
    return present + missing
