"""Figures of the admin dashboards (landing page, one location, its comments): plain functions
on a session, every score a :class:`feedback.services.tally.Tally` read from the rollups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from feedback.database import DbSession
from feedback.models import Location, Response, SurveyVersion
from feedback.models.responses import CHANNELS
from feedback.services import stats
from feedback.services.partial import cut_hours, later_hours
from feedback.services.responses_query import utc_bounds
from feedback.services.tally import Tally, bucket_key, read_one

PERIODS = (("today", 1), ("7d", 7), ("30d", 30))
TREND_GROUPS = ("day", "week", "month")
COMMENTS_PER_PAGE = 20


# --- figures that add up ------------------------------------------------------------------------

Figures = Tally  # the name admin_app/charts.py imports


@dataclass
class Change:
    """Current figures against those of the previous period of the same length, each with its
    verdict (``up``, ``down``, ``same``; None without data): a difference is a change only when
    its 95 % interval leaves out 0 (:mod:`feedback.services.stats`), so noise is "about the same"."""

    count_ratio: float | None  # relative change of the count (None when the previous count is 0)
    csat_points: float | None  # CSAT difference in percentage points
    mean: float | None  # difference of means (same scale only)
    count_verdict: str | None = None
    csat_verdict: str | None = None
    mean_verdict: str | None = None


def _variance(tally: Tally) -> float:
    """The sample variance of the ratings (one scale)."""
    mean, count = tally.mean or 0.0, tally.count
    squares = sum((k + 1 - mean) ** 2 * n for counts in tally.distribution.values() for k, n in enumerate(counts))
    return squares / (count - 1) if count > 1 else 0.0


def change(current: Tally, previous: Tally) -> Change:
    ratio = (current.count - previous.count) / previous.count if previous.count else None
    csat = (current.csat - previous.csat) * 100 if current.csat is not None and previous.csat is not None else None
    same_scale = current.scale is not None and current.scale == previous.scale and current.scale != "mixed"
    now, before = current.mean, previous.mean
    mean = now - before if same_scale and now is not None and before is not None else None
    return Change(
        ratio,
        csat,
        mean,
        stats.count_change(current.count, previous.count),
        stats.share_change(current.positive, current.count, previous.positive, previous.count),
        stats.mean_change(now, _variance(current), current.count, before, _variance(previous), previous.count)
        if mean is not None and now is not None and before is not None
        else None,
    )


# --- buckets ------------------------------------------------------------------------------------


@dataclass
class Bucket:
    key: str  # as summarize names it: 2026-02-03, 2026-W06, 2026-02
    first: date  # first and last local date of the bucket inside the asked range
    last: date
    figures: Tally
    partial: bool = False  # the range cuts the day/week/month short, or it holds today (not over yet)


def _natural_bounds(group: str, day: date) -> tuple[date, date]:
    """The first and last date of the day, ISO week or month ``day`` falls in."""
    if group == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if group == "month":
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return day.replace(day=1), following - timedelta(days=1)
    return day, day


def default_group(start: date, end: date) -> str:
    days = (end - start).days + 1
    return "day" if days <= 92 else "week" if days <= 731 else "month"


def buckets(days: dict[date, Tally], start: date, end: date, group: str, *, today: date | None = None) -> list[Bucket]:
    """Every day/week/month bucket of ``start..end`` (empty ones too, so charts show gaps); a
    bucket is ``partial`` when the range covers only part of it or it holds ``today``."""
    out: list[Bucket] = []
    day = start
    while day <= end:
        key = bucket_key(group, day)
        if not out or out[-1].key != key:
            out.append(Bucket(key, day, day, Tally()))
        out[-1].last = day
        if day in days:
            out[-1].figures.add(days[day])
        day += timedelta(days=1)
    for bucket in out:
        natural = _natural_bounds(group, bucket.first)
        held_today = today is not None and bucket.first <= today <= bucket.last
        bucket.partial = held_today or (bucket.first, bucket.last) != natural
    return out


def _sum_days(days: dict[date, Tally], first: date, last: date) -> Tally:
    return Tally.total(f for d, f in days.items() if first <= d <= last)


# --- landing page -------------------------------------------------------------------------------


@dataclass
class Period:
    key: str  # today, 7d, 30d
    days: int
    start: date
    end: date
    figures: Tally
    previous: Tally
    previous_start: date
    previous_end: date
    # ``end`` is not over in some office: the period is partial, and the previous one ends at the
    # same local hour of ``previous_end`` (``until_hour``: the latest such hour, counted whole; -1
    # when ``end`` has not begun in any office).
    partial: bool = False
    until_hour: int | None = None

    @property
    def change(self) -> Change:
        return change(self.figures, self.previous)


@dataclass
class Overview:
    end: date
    periods: list[Period]
    trend: list[Bucket]
    group: str
    range_total: Tally  # start..end of the filter


def overview(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = None,
    now: datetime | None = None,
) -> Overview:
    """Today, 7 and 30 days ending ``end`` against the periods before them, and the trend of
    ``start..end``: one rollup read grouped by day.

    Today is compared with the same weekday a week before; 7 and 30 days with the 7 and 30 days
    before. When ``end`` is today (at ``now``) in an office, that office's day is not over: its
    earlier day is counted up to the same local hour (a few hour-grouped reads), and the periods
    and the trend's last point are marked partial.
    """
    longest = max(days for _key, days in PERIODS)
    first = min(start, end - timedelta(days=2 * longest - 1))
    days = read_one(session, location_ids, first, end, channel=channel, group="day").groups
    cuts = cut_hours(session, location_ids, end, now) if now is not None else {}
    edges = {end - timedelta(days=7 if n == 1 else n) for _key, n in PERIODS}
    later = later_hours(session, cuts, sorted(edges), channel) if cuts else {}
    periods = []
    for key, n in PERIODS:
        cur_start = end - timedelta(days=n - 1)
        prev_end = end - timedelta(days=7 if n == 1 else n)  # today: the same weekday last week
        prev_start = prev_end - timedelta(days=n - 1)
        previous = _sum_days(days, prev_start, prev_end)
        if prev_end in later:
            previous = previous - later[prev_end]
        periods.append(
            Period(
                key,
                n,
                cur_start,
                end,
                _sum_days(days, cur_start, end),
                previous,
                prev_start,
                prev_end,
                bool(cuts),
                max(cuts) if cuts else None,
            )
        )
    group = group or default_group(start, end)
    trend = buckets(days, start, end, group, today=end if cuts else None)
    return Overview(end, periods, trend, group, _sum_days(days, start, end))


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
    total: Tally
    channels: dict[str, Tally]  # per channel shown (both unless the filter names one)
    trend: list[Bucket]
    heatmap: dict[tuple[int, int], Tally]  # (weekday 0=Mon, local hour) -> figures
    followups: dict[str, list[Followup]]  # positive / negative, most chosen first

    @property
    def target(self) -> float | None:
        """The counter's own target, else its office's: ``Location.effective_csat_target``, the
        one rule standards, alerts and the scoreboard use too."""
        return self.location.effective_csat_target

    @property
    def below_target(self) -> bool:
        return self.target is not None and self.total.csat is not None and self.total.csat < self.target


def ranked_followups(tally: Tally) -> dict[str, list[Followup]]:
    """The tally's follow-up choices per wording, most chosen first."""
    out: dict[str, list[Followup]] = {"positive": [], "negative": []}
    for (polarity, choice), (chosen, offered) in tally.followups.items():
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
    now: datetime | None = None,
) -> LocationReport:
    """Trend, channel split, follow-ups, suspects and the hour x weekday heatmap of one location.

    Three rollup reads: grouped by day (totals, trend, follow-ups), phone only without groups
    (the kiosk share is the rest; not needed when the filter names a channel), and grouped by
    hour (the heatmap).
    """
    group = group or default_group(start, end)
    if group not in TREND_GROUPS:
        raise ValueError(f"unknown group {group!r}")
    ids = [location.id]
    by_day = read_one(session, ids, start, end, channel=channel, group="day", followups=True)
    total = by_day.total
    if channel:
        channels = {channel: total}
    else:
        phone = read_one(session, ids, start, end, channel="qr").total
        channels = {"kiosk": total - phone, "qr": phone}
    hours = read_one(session, ids, start, end, channel=channel, group="hour")
    return LocationReport(
        location=location,
        start=start,
        end=end,
        channel=channel,
        group=group,
        total=total,
        channels={ch: channels[ch] for ch in CHANNELS if ch in channels},
        trend=buckets(
            by_day.groups, start, end, group, today=now.astimezone(location.office.tz).date() if now else None
        ),
        heatmap=hours.groups,
        followups=ranked_followups(total),
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
    items = [Comment(r.client_time, r.rating, r.scale, r.comment or "", r.suspect) for r in rows[:per_page]]
    return CommentPage(items, page, per_page, len(rows) > per_page)
