"""Figures of the admin dashboards: plain functions on a session.

Every score comes from :func:`feedback.services.aggregation.summarize`, which reads the
rollup tables only, so a page costs a handful of rollup scans whatever the number of
stored responses. Calls are shared where the sums allow it:

* the landing page asks for one range grouped by day and adds the days up into today,
  the last 7 and 30 days, the periods before them and the trend buckets;
* a location page asks once grouped by day (totals, trend, follow-ups), once for the phone
  channel alone (the kiosk figures are the rest) and once grouped by hour of the week;
* the comparison asks once grouped by location.

Sums are integers (counts, positives, rating sums, distributions), so the figures of a
period are exactly those ``summarize`` gives for that period; CSAT and means are only
rounded when shown. Views that show no follow-ups ask ``summarize`` to skip them (a second
rollup scan). Only the phone comments are read from ``responses``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from feedback.database import DbSession
from feedback.models import Location, Office, Response, SurveyVersion
from feedback.models.responses import CHANNELS
from feedback.scales import SCALES
from feedback.services.aggregation import bucket_key, summarize
from feedback.services.responses_query import utc_bounds

PERIODS = (("today", 1), ("7d", 7), ("30d", 30))
TREND_GROUPS = ("day", "week", "month")
COMMENTS_PER_PAGE = 20


# --- figures that add up ------------------------------------------------------------------------


@dataclass
class Figures:
    """Counts of one bucket; adding two gives the counts of both (exactly)."""

    count: int = 0
    positive: int = 0
    suspect_count: int = 0
    distribution: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: dict) -> Figures:
        """From a ``summarize`` total or group entry."""
        return cls(
            entry["count"],
            entry["positive"],
            entry["suspect_count"],
            {scale: list(counts) for scale, counts in entry["distribution"].items()},
        )

    def add(self, other: Figures) -> Figures:
        self.count += other.count
        self.positive += other.positive
        self.suspect_count += other.suspect_count
        for scale, counts in other.distribution.items():
            mine = self.distribution.setdefault(scale, [0] * len(counts))
            for k, n in enumerate(counts):
                mine[k] += n
        return self

    def minus(self, other: Figures) -> Figures:
        """These counts without ``other``'s (a part of them): a new Figures."""
        out = Figures(
            self.count - other.count,
            self.positive - other.positive,
            self.suspect_count - other.suspect_count,
            {scale: list(counts) for scale, counts in self.distribution.items()},
        )
        for scale, counts in other.distribution.items():
            mine = out.distribution.setdefault(scale, [0] * len(counts))
            for k, n in enumerate(counts):
                mine[k] -= n
        return out

    @classmethod
    def total(cls, items: Iterable[Figures]) -> Figures:
        out = cls()
        for item in items:
            out.add(item)
        return out

    @property
    def scales(self) -> list[str]:
        return sorted(s for s, d in self.distribution.items() if sum(d))

    @property
    def scale(self) -> str | None:
        """The one scale of these ratings, "mixed", or None without ratings."""
        scales = self.scales
        return scales[0] if len(scales) == 1 else ("mixed" if scales else None)

    @property
    def rating_sum(self) -> int:
        return sum((k + 1) * n for counts in self.distribution.values() for k, n in enumerate(counts))

    @property
    def csat(self) -> float | None:
        return self.positive / self.count if self.count else None

    @property
    def mean(self) -> float | None:
        """Mean rating; only on a single scale (as ``summarize`` reports it)."""
        scales = self.scales
        return self.rating_sum / self.count if self.count and len(scales) == 1 else None

    @property
    def points(self) -> int | None:
        scale = self.scale
        return SCALES[scale].points if scale in SCALES else None


@dataclass
class Change:
    """Current figures against those of the previous period of the same length."""

    count_ratio: float | None  # relative change of the count (None when the previous count is 0)
    csat_points: float | None  # CSAT difference in percentage points
    mean: float | None  # difference of means (same scale only)


def change(current: Figures, previous: Figures) -> Change:
    ratio = (current.count - previous.count) / previous.count if previous.count else None
    csat = (current.csat - previous.csat) * 100 if current.csat is not None and previous.csat is not None else None
    same_scale = current.scale is not None and current.scale == previous.scale and current.scale != "mixed"
    mean = current.mean - previous.mean if same_scale else None
    return Change(ratio, csat, mean)


# --- buckets ------------------------------------------------------------------------------------


@dataclass
class Bucket:
    key: str  # as summarize names it: 2026-02-03, 2026-W06, 2026-02
    first: date  # first and last local date of the bucket inside the asked range
    last: date
    figures: Figures


def default_group(start: date, end: date) -> str:
    days = (end - start).days + 1
    return "day" if days <= 92 else "week" if days <= 731 else "month"


def buckets(days: dict[date, Figures], start: date, end: date, group: str) -> list[Bucket]:
    """Every day/week/month bucket of ``start..end`` (empty ones too, so charts show gaps)."""
    out: list[Bucket] = []
    day = start
    while day <= end:
        key = bucket_key(group, day)
        if not out or out[-1].key != key:
            out.append(Bucket(key, day, day, Figures()))
        out[-1].last = day
        if day in days:
            out[-1].figures.add(days[day])
        day += timedelta(days=1)
    return out


def _days(summary: dict) -> dict[date, Figures]:
    return {date.fromisoformat(g["key"]): Figures.of(g) for g in summary["groups"]}


def _sum_days(days: dict[date, Figures], first: date, last: date) -> Figures:
    return Figures.total(f for d, f in days.items() if first <= d <= last)


# --- landing page -------------------------------------------------------------------------------


@dataclass
class Period:
    key: str  # today, 7d, 30d
    days: int
    start: date
    end: date
    figures: Figures
    previous: Figures
    previous_start: date
    previous_end: date

    @property
    def change(self) -> Change:
        return change(self.figures, self.previous)


@dataclass
class Overview:
    end: date
    periods: list[Period]
    trend: list[Bucket]
    group: str
    range_total: Figures  # start..end of the filter


def overview(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = None,
) -> Overview:
    """Today, 7 and 30 days ending ``end`` against the periods before them, and the trend of
    ``start..end``: one ``summarize`` call grouped by day."""
    longest = max(days for _key, days in PERIODS)
    first = min(start, end - timedelta(days=2 * longest - 1))
    days = _days(summarize(session, location_ids, first, end, channel=channel, group="day", followups=False))
    periods = []
    for key, n in PERIODS:
        cur_start = end - timedelta(days=n - 1)
        prev_end = cur_start - timedelta(days=1)
        prev_start = prev_end - timedelta(days=n - 1)
        periods.append(
            Period(
                key,
                n,
                cur_start,
                end,
                _sum_days(days, cur_start, end),
                _sum_days(days, prev_start, prev_end),
                prev_start,
                prev_end,
            )
        )
    group = group or default_group(start, end)
    return Overview(end, periods, buckets(days, start, end, group), group, _sum_days(days, start, end))


# --- one location -------------------------------------------------------------------------------


@dataclass
class Followup:
    choice: str
    polarity: str
    chosen: int
    offered: int

    @property
    def share(self) -> float | None:
        return self.chosen / self.offered if self.offered else None


@dataclass
class LocationReport:
    location: Location
    start: date
    end: date
    channel: str | None
    group: str
    total: Figures
    channels: dict[str, Figures]  # per channel shown (both unless the filter names one)
    trend: list[Bucket]
    heatmap: dict[tuple[int, int], Figures]  # (weekday 0=Mon, local hour) -> figures
    followups: dict[str, list[Followup]]  # positive / negative, most chosen first

    @property
    def target(self) -> float | None:
        """The counter's own target, else its office's: ``Location.effective_csat_target``, the
        one rule standards, alerts and the scoreboard use too."""
        return self.location.effective_csat_target

    @property
    def below_target(self) -> bool:
        return self.target is not None and self.total.csat is not None and self.total.csat < self.target


def _merge_followups(summaries: Iterable[dict]) -> dict[str, list[Followup]]:
    merged: dict[tuple[str, str], list[int]] = {}
    for summary in summaries:
        for polarity, items in summary["followups"].items():
            for item in items:
                counts = merged.setdefault((polarity, item["choice"]), [0, 0])
                counts[0] += item["chosen"]
                counts[1] += item["offered"]
    out: dict[str, list[Followup]] = {"positive": [], "negative": []}
    for (polarity, choice), (chosen, offered) in merged.items():
        out.setdefault(polarity, []).append(Followup(choice, polarity, chosen, offered))
    for items in out.values():
        items.sort(key=lambda f: (-f.chosen, -(f.share or 0), f.choice))
    return out


def location_report(
    session: DbSession,
    location: Location,
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = None,
) -> LocationReport:
    """Trend, channel split, follow-ups, suspects and the hour x weekday heatmap of one location.

    Three ``summarize`` calls: grouped by day (totals, trend, follow-ups), phone only without
    groups (the kiosk share is the rest; not needed when the filter names a channel), and
    grouped by hour (the heatmap).
    """
    group = group or default_group(start, end)
    if group not in TREND_GROUPS:
        raise ValueError(f"unknown group {group!r}")
    ids = [location.id]
    by_day = summarize(session, ids, start, end, channel=channel, group="day")
    total = Figures.of(by_day["total"])
    if channel:
        channels = {channel: total}
    else:
        phone = Figures.of(summarize(session, ids, start, end, channel="qr", followups=False)["total"])
        channels = {"kiosk": total.minus(phone), "qr": phone}
    hours = summarize(session, ids, start, end, channel=channel, group="hour", followups=False)
    return LocationReport(
        location=location,
        start=start,
        end=end,
        channel=channel,
        group=group,
        total=total,
        channels={ch: channels[ch] for ch in CHANNELS if ch in channels},
        trend=buckets(_days(by_day), start, end, group),
        heatmap={(g["weekday"], g["hour"]): Figures.of(g) for g in hours["groups"]},
        followups=_merge_followups([by_day]),
    )


@dataclass
class Comment:
    client_time: datetime  # aware, UTC
    rating: int
    scale: str
    text: str
    suspect: bool


@dataclass
class CommentPage:
    items: list[Comment]
    page: int
    per_page: int
    has_next: bool

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.items) - 1


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def comments(
    session: DbSession,
    location: Location,
    start: date,
    end: date,
    *,
    q: str | None = None,
    page: int = 1,
    per_page: int = COMMENTS_PER_PAGE,
) -> CommentPage:
    """Phone comments (scrubbed at ingest) of ``start..end`` in the office's local dates, newest first.

    ``q`` matches case-insensitively anywhere in the comment (``%`` and ``_`` match themselves).
    Pages are read newest first along the (location, client time) index and stop once full, so a
    page costs what it shows, not the range; no total is counted (that would read the whole range).
    """
    lo, hi = utc_bounds(ZoneInfo(location.office.timezone), start, end)
    # coalesce(comment, '') <> '' rather than "IS NOT NULL AND <> ''": PostgreSQL then estimates the
    # share of rows with a comment well enough to walk the index newest first and stop at a full page.
    filters = [
        Response.location_id == location.id,
        Response.client_time >= lo,
        Response.client_time < hi,
        Response.channel == "qr",
        func.coalesce(Response.comment, "") != "",
        Response.comment_state.is_distinct_from("spam"),
    ]  # marked spam in the inbox: out of sight
    if q:
        filters.append(Response.comment.ilike(_like_pattern(q), escape="\\"))
    rows = session.execute(
        select(Response.client_time, Response.rating, SurveyVersion.scale, Response.comment, Response.suspect)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(*filters)
        .order_by(Response.client_time.desc(), Response.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return CommentPage([Comment(*row) for row in rows[:per_page]], page, per_page, len(rows) > per_page)


# --- comparison ---------------------------------------------------------------------------------

SORT_KEYS = ("location", "name", "office", "responses", "csat", "target", "gap", "mean", "suspects")


@dataclass
class CompareRow:
    location: Location
    office: Office
    figures: Figures

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

    def sort_value(self, key: str) -> Any:  # text or a number, None when the figure is missing
        return {
            "location": self.location.code,
            "name": self.location.name.casefold(),
            "office": self.office.name.casefold(),
            "responses": self.figures.count,
            "csat": self.figures.csat,
            "target": self.target,
            "gap": self.gap,
            "mean": self.figures.mean,
            "suspects": self.figures.suspect_count,
        }[key]


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
    """One row per location over ``start..end`` (one ``summarize`` call grouped by location).

    Sorted by ``sort``; rows without a value (no responses, no target) come last either way,
    and ties keep the location code order.
    """
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}")
    by_code = {}
    if locations:
        summary = summarize(
            session, [loc.id for loc in locations], start, end, channel=channel, group="location", followups=False
        )
        by_code = {g["key"]: Figures.of(g) for g in summary["groups"]}
    offices = (
        {o.id: o for o in session.scalars(select(Office).where(Office.id.in_({loc.office_id for loc in locations})))}
        if locations
        else {}
    )
    rows = [
        CompareRow(loc, offices[loc.office_id], by_code.get(loc.code, Figures()))
        for loc in sorted(locations, key=lambda loc: loc.code)
    ]
    present = [r for r in rows if r.sort_value(sort) is not None]
    missing = [r for r in rows if r.sort_value(sort) is None]
    present.sort(key=lambda r: r.sort_value(sort), reverse=descending)  # stable: code order within ties
    return present + missing
