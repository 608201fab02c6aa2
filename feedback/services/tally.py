"""The one tally of scores (:class:`Tally`) and the one reader of the rollups (:func:`read`)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, literal, select, union_all

from feedback.database import DbSession
from feedback.models import FollowupDaily, ResponseHourly
from feedback.models.rollups import RATING_COLUMNS
from feedback.numbers import rounded
from feedback.scales import SCALES
from feedback.services import fold
from feedback.services.stats import Interval, verdict, wilson_interval

GROUPS = ("location", "day", "week", "month", "hour")
# ``session.info`` key of a session that must not fold before reading: a read replica's, for which
# the primary folded first (``feedback/replica.py``); a replica cannot write.
NO_CATCH_UP = "tally_no_catch_up"
POLARITIES = ("positive", "negative")


@dataclass
class Tally:
    """Counts of responses that add up exactly: per scale, the counted responses per rating point
    (worst first); the suspects (always counted here, counted in ``distribution`` only when asked);
    the follow-up choices, ``(polarity, choice) -> [chosen, offered]``. Every score is a property."""

    distribution: dict[str, list[int]] = field(default_factory=dict)
    suspects: int = 0
    followups: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    # --- building -------------------------------------------------------------------------------

    def add_ratings(self, scale: str, ratings: Sequence[int]) -> Tally:
        """Add counts per rating point (``ratings[0]`` is rating 1) on ``scale``."""
        points = SCALES[scale].points
        mine = self.distribution.setdefault(scale, [0] * points)
        for k in range(points):
            mine[k] += ratings[k]
        return self

    def add(self, other: Tally, sign: int = 1) -> Tally:
        """Add (``sign=-1``: take away) ``other``'s counts, in place."""
        self.suspects += sign * other.suspects
        for scale, counts in other.distribution.items():
            mine = self.distribution.setdefault(scale, [0] * len(counts))
            for k, n in enumerate(counts):
                mine[k] += sign * n
        for key, (chosen, offered) in other.followups.items():
            pair = self.followups.setdefault(key, [0, 0])
            pair[0] += sign * chosen
            pair[1] += sign * offered
        return self

    def copy(self) -> Tally:
        return Tally().add(self)

    def __add__(self, other: Tally) -> Tally:
        return self.copy().add(other)

    def __sub__(self, other: Tally) -> Tally:
        """These counts without ``other``'s (a part of them)."""
        return self.copy().add(other, sign=-1)

    @classmethod
    def total(cls, items: Iterable[Tally]) -> Tally:
        out = cls()
        for item in items:
            out.add(item)
        return out

    # --- counts ---------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return sum(sum(counts) for counts in self.distribution.values())

    @property
    def positive(self) -> int:
        """Positive ratings, by the scale's rule (``feedback.scales.Scale.positives``)."""
        return sum(SCALES[scale].positives(counts) for scale, counts in self.distribution.items())

    @property
    def rating_sum(self) -> int:
        return sum((k + 1) * n for counts in self.distribution.values() for k, n in enumerate(counts))

    @property
    def suspect_count(self) -> int:
        """``suspects`` under the name the charts and templates read."""
        return self.suspects

    @property
    def scales(self) -> list[str]:
        return sorted(s for s, d in self.distribution.items() if sum(d))

    @property
    def scale(self) -> str | None:
        """The one scale of these ratings, "mixed", or None without ratings."""
        scales = self.scales
        return scales[0] if len(scales) == 1 else ("mixed" if scales else None)

    @property
    def points(self) -> int | None:
        scale = self.scale
        return SCALES[scale].points if scale in SCALES else None

    # --- scores ---------------------------------------------------------------------------------

    @property
    def csat_fraction(self) -> Fraction | None:
        count = self.count
        return Fraction(self.positive, count) if count else None

    @property
    def csat(self) -> float | None:
        """The share of positive ratings (unrounded; None without ratings)."""
        count = self.count
        return self.positive / count if count else None

    @property
    def mean_fraction(self) -> Fraction | None:
        count = self.count
        return Fraction(self.rating_sum, count) if count and len(self.scales) == 1 else None

    @property
    def mean(self) -> float | None:
        """Mean rating; only on a single scale (mixed scales have CSAT alone)."""
        count = self.count
        return self.rating_sum / count if count and len(self.scales) == 1 else None

    @property
    def interval(self) -> Interval | None:
        """The 95 % Wilson interval of CSAT (``feedback.services.stats``)."""
        return wilson_interval(self.positive, self.count)

    def verdict(self, target: float | None) -> str:
        """``met``, ``not_met``, ``too_few``, ``no_target`` or ``no_data`` (see ``stats.verdict``)."""
        return verdict(self.positive, self.count, target)

    def ranked_followups(self) -> dict[str, list[dict[str, Any]]]:
        """Follow-up choices per wording, most chosen first: the read API's form."""
        ranked: dict[str, list[dict[str, Any]]] = {p: [] for p in POLARITIES}
        for (polarity, choice), (chosen, offered) in self.followups.items():
            ranked.setdefault(polarity, []).append({"choice": choice, "chosen": chosen, "offered": offered})
        for items in ranked.values():
            items.sort(key=lambda x: (-x["chosen"], x["choice"]))
        return ranked

    def as_dict(self) -> dict[str, Any]:
        """The figures as the read API and the CSV exports give them (rounded half up, 4 places)."""
        csat, mean = self.csat_fraction, self.mean_fraction
        return {
            "count": self.count,
            "positive": self.positive,
            "csat": rounded(csat, 4) if csat is not None else None,
            "mean": rounded(mean, 4) if mean is not None else None,
            "scale": self.scale,
            "distribution": {s: list(self.distribution[s]) for s in self.scales},
            "suspect_count": self.suspects,
        }


# --- the reader of the rollups -------------------------------------------------------------------


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


@dataclass
class Counted:
    """The tallies of one date range: its total and, when grouped, one per group.

    Group keys: ``location`` the location id, ``day`` the local date, ``week``/``month`` the
    bucket key (:func:`bucket_key`), ``hour`` ``(weekday 0=Mon, local hour)``."""

    start: date
    end: date
    total: Tally = field(default_factory=Tally)
    groups: dict[Any, Tally] = field(default_factory=dict)


def _group_columns(group: str | None) -> tuple[Any, ...]:
    return {
        None: (),
        "location": (ResponseHourly.location_id,),
        "day": (ResponseHourly.local_date,),
        "week": (ResponseHourly.local_date,),
        "month": (ResponseHourly.local_date,),
        "hour": (ResponseHourly.weekday, ResponseHourly.local_hour),
    }[group]


def _group_key(group: str, row: Any) -> Hashable:
    if group == "location":
        return row.location_id
    if group == "hour":
        return (row.weekday, row.local_hour)
    if group == "day":
        return row.local_date
    return bucket_key(group, row.local_date)


def _filters(
    table: type[ResponseHourly] | type[FollowupDaily], ids: list[int], start: date, end: date, channel: str | None
) -> list[Any]:
    """A rollup table's rows of ``ids`` on the local dates ``start..end`` (and ``channel``)."""
    filters = [table.location_id.in_(ids), table.local_date >= start, table.local_date <= end]
    if channel:
        filters.append(table.channel == channel)
    return filters


def catch_up(session: DbSession, ids: list[int]) -> None:
    """Fold before a read of the rollups, so the taps answered before it count in it; not on a
    replica's session (``feedback.replica``), which cannot write and reads the primary's folds."""
    if not session.info.get(NO_CATCH_UP):
        fold.catch_up(session, ids)


def read(
    session: DbSession,
    location_ids: Iterable[int],
    ranges: Sequence[tuple[date, date]],
    *,
    group: str | None = None,
    channel: str | None = None,
    include_suspect: bool = False,
    followups: bool = False,
) -> list[Counted]:
    """The tallies of ``location_ids`` over each of ``ranges`` (local dates, inclusive), in order.

    One query over ``response_hourly`` (a grouped SELECT per range, joined with UNION ALL: each
    range grouped on plain columns lets PostgreSQL hash a few groups instead of sorting every
    rollup row); ``followups=True`` adds one grouped scan of ``followup_daily`` per range into
    the totals. Suspects always go to ``suspects``, to the ratings only with ``include_suspect``.
    """
    if group not in (None, *GROUPS):
        raise ValueError(f"unknown group {group!r}")
    ids = sorted(set(location_ids))
    out = [Counted(start, end) for start, end in ranges]
    if not ids or not out:
        return out
    catch_up(session, ids)
    group_cols = _group_columns(group)
    parts = []
    for i, (start, end) in enumerate(ranges):
        filters = _filters(ResponseHourly, ids, start, end, channel)
        parts.append(
            select(
                literal(i).label("which"),
                *group_cols,
                ResponseHourly.scale,
                ResponseHourly.suspect,
                *(func.sum(getattr(ResponseHourly, c)).label(c) for c in RATING_COLUMNS),
            )
            .where(*filters)
            .group_by(*group_cols, ResponseHourly.scale, ResponseHourly.suspect)
            # Taking responses out (rollups.apply sign=-1) leaves emptied buckets behind;
            # they must not show up as groups with a count of 0.
            .having(func.sum(ResponseHourly.n) != 0)
        )
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    for row in session.execute(query):
        counted = out[row.which]
        targets = [counted.total]
        if group:
            key = _group_key(group, row)
            targets.append(counted.groups.setdefault(key, Tally()))
        ratings = [int(getattr(row, c)) for c in RATING_COLUMNS]
        n = sum(ratings)
        for tally in targets:
            if row.suspect:
                tally.suspects += n
            if include_suspect or not row.suspect:
                tally.add_ratings(row.scale, ratings)
    if followups:
        for counted in out:
            counted.total.followups = _followups(session, ids, counted.start, counted.end, channel, include_suspect)
    return out


def read_one(
    session: DbSession,
    location_ids: Iterable[int],
    start: date,
    end: date,
    *,
    group: str | None = None,
    channel: str | None = None,
    include_suspect: bool = False,
    followups: bool = False,
) -> Counted:
    """:func:`read` of one range."""
    return read(
        session,
        location_ids,
        [(start, end)],
        group=group,
        channel=channel,
        include_suspect=include_suspect,
        followups=followups,
    )[0]


def _followups(
    session: DbSession, ids: list[int], start: date, end: date, channel: str | None, include_suspect: bool
) -> dict[tuple[str, str], list[int]]:
    filters = _filters(FollowupDaily, ids, start, end, channel)
    if not include_suspect:
        filters.append(FollowupDaily.suspect.is_(False))
    query = (
        select(
            FollowupDaily.polarity,
            FollowupDaily.choice,
            func.sum(FollowupDaily.chosen).label("chosen"),
            func.sum(FollowupDaily.offered).label("offered"),
        )
        .where(*filters)
        .group_by(FollowupDaily.polarity, FollowupDaily.choice)
        .having(func.sum(FollowupDaily.offered) != 0)  # emptied by removals
    )
    return {(row.polarity, row.choice): [int(row.chosen), int(row.offered)] for row in session.execute(query)}
