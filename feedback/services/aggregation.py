"""Scores for a set of locations over a range of local dates.

Reads only the rollup tables (see feedback/services/rollups.py), so the cost
depends on the range asked for, not on the number of stored responses. Sums
are integers added in Python, so SQLite and PostgreSQL give identical results.

CSAT is the share of positive ratings (feedback/scales.py states the rule per
scale). Suspect responses (repeat taps) are left out unless asked for, and
always counted in ``suspect_count``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import InstrumentedAttribute

from feedback.database import DbSession
from feedback.models import FollowupDaily, Location, ResponseHourly
from feedback.models.rollups import RATING_COLUMNS
from feedback.numbers import rounded
from feedback.scales import SCALES

GROUPS = ("location", "day", "week", "month", "hour")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Stats:
    count: int = 0
    positive: int = 0
    rating_sum: int = 0
    suspect_count: int = 0
    distribution: dict[str, list[int]] = field(default_factory=dict)

    def add(self, scale: str, suspect: bool, n: int, rating_sum: int, ratings: tuple[int, ...], counted: bool) -> None:
        if suspect:
            self.suspect_count += n
        if not counted:
            return
        spec = SCALES[scale]
        self.count += n
        self.rating_sum += rating_sum
        self.positive += sum(ratings[spec.positive_from - 1 : spec.points])
        dist = self.distribution.setdefault(scale, [0] * spec.points)
        for k in range(spec.points):
            dist[k] += ratings[k]

    def as_dict(self) -> dict:
        scales = sorted(s for s, d in self.distribution.items() if sum(d))
        single = scales[0] if len(scales) == 1 else None
        return {
            "count": self.count,
            "positive": self.positive,
            # Rounded half up (feedback.numbers), the rule of every page: 1/32 is 0.0313.
            "csat": rounded(Fraction(self.positive, self.count), 4) if self.count else None,
            # A mean only makes sense on one scale; mixed scales report CSAT alone.
            "mean": rounded(Fraction(self.rating_sum, self.count), 4) if self.count and single else None,
            "scale": single or ("mixed" if scales else None),
            "distribution": {s: self.distribution[s] for s in scales},
            "suspect_count": self.suspect_count,
        }


def _group_key(group: str | None, row: Row, codes: dict[int, str]) -> str | tuple[int, int] | None:
    if group is None:
        return None
    if group == "location":
        return codes[row.location_id]
    if group == "hour":
        return (row.weekday, row.local_hour)
    return bucket_key(group, row.local_date)


def bucket_key(group: str, day: date) -> str:
    """The key of the day, ISO week or month bucket a local date falls in."""
    if group == "day":
        return day.isoformat()
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"unknown group {group!r}")


def _sql_group_columns(group: str | None) -> tuple[InstrumentedAttribute[Any], ...]:
    return {
        None: (),
        "location": (ResponseHourly.location_id,),
        "day": (ResponseHourly.local_date,),
        "week": (ResponseHourly.local_date,),
        "month": (ResponseHourly.local_date,),
        "hour": (ResponseHourly.weekday, ResponseHourly.local_hour),
    }[group]


def summarize(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = None,
    include_suspect: bool = False,
    followups: bool = True,
) -> dict:
    """Count, CSAT, mean, distribution and suspects for ``start..end`` (local dates, inclusive).

    ``followups=False`` leaves the follow-up counts out (``"followups": None``): a second rollup
    scan, as long as the first, that views showing no follow-ups need not pay for.
    """
    if group not in (None, *GROUPS):
        raise ValueError(f"unknown group {group!r}")
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(location_ids))).all())
    group_cols = _sql_group_columns(group)
    filters = [
        ResponseHourly.location_id.in_(location_ids),
        ResponseHourly.local_date >= start,
        ResponseHourly.local_date <= end,
    ]
    if channel:
        filters.append(ResponseHourly.channel == channel)
    query = (
        select(
            *group_cols,
            ResponseHourly.scale,
            ResponseHourly.suspect,
            func.sum(ResponseHourly.n).label("n"),
            func.sum(ResponseHourly.rating_sum).label("rating_sum"),
            *(func.sum(getattr(ResponseHourly, c)).label(c) for c in RATING_COLUMNS),
        )
        .where(*filters)
        .group_by(*group_cols, ResponseHourly.scale, ResponseHourly.suspect)
        # Taking responses out (rollups.apply sign=-1) leaves emptied buckets behind;
        # they must not show up as groups with a count of 0.
        .having(func.sum(ResponseHourly.n) != 0)
    )
    total = Stats()
    groups: dict[Any, Stats] = defaultdict(Stats)
    for row in session.execute(query):
        ratings = tuple(int(getattr(row, c)) for c in RATING_COLUMNS)
        counted = include_suspect or not row.suspect
        args = (row.scale, row.suspect, int(row.n), int(row.rating_sum), ratings, counted)
        total.add(*args)
        if group:
            groups[_group_key(group, row, codes)].add(*args)

    result: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "channel": channel,
        "include_suspect": include_suspect,
        "locations": sorted(codes.values()),
        "total": total.as_dict(),
        "followups": _followups(session, filters_for_followups(location_ids, start, end, channel), include_suspect)
        if followups
        else None,
    }
    if group:
        result["group"] = group
        result["groups"] = [_group_entry(group, key, stats) for key, stats in sorted(groups.items())]
    return result


def _group_entry(group: str, key: Any, stats: Stats) -> dict:
    entry: dict[str, Any] = {"key": key}
    if group == "hour":
        weekday, hour = key
        entry = {"key": f"{WEEKDAY_NAMES[weekday]}-{hour:02d}", "weekday": weekday, "hour": hour}
    entry.update(stats.as_dict())
    return entry


def filters_for_followups(
    location_ids: Collection[int], start: date, end: date, channel: str | None
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [
        FollowupDaily.location_id.in_(location_ids),
        FollowupDaily.local_date >= start,
        FollowupDaily.local_date <= end,
    ]
    if channel:
        filters.append(FollowupDaily.channel == channel)
    return filters


def _followups(session: DbSession, filters: list[ColumnElement[bool]], include_suspect: bool) -> dict:
    """Follow-up choices ranked by how often they were chosen, per wording."""
    if not include_suspect:
        filters = [*filters, FollowupDaily.suspect.is_(False)]
    query = (
        select(
            FollowupDaily.polarity,
            FollowupDaily.choice,
            func.sum(FollowupDaily.offered).label("offered"),
            func.sum(FollowupDaily.chosen).label("chosen"),
        )
        .where(*filters)
        .group_by(FollowupDaily.polarity, FollowupDaily.choice)
        .having(func.sum(FollowupDaily.offered) != 0)  # emptied by removals
    )
    ranked: dict[str, list] = {"positive": [], "negative": []}
    for row in session.execute(query):
        ranked[row.polarity].append({"choice": row.choice, "chosen": int(row.chosen), "offered": int(row.offered)})
    for items in ranked.values():
        items.sort(key=lambda x: (-x["chosen"], x["choice"]))
    return ranked
