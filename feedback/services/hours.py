"""Opening hours: an office's week as text and back, and how much of a span falls inside it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext

from feedback.models import Office
from feedback.models.org import WEEKDAYS
from feedback.services.editing import text

Week = dict[str, list[list[str]]]

# A new office's week when none is given: weekdays 08:00-16:30.
WEEKDAY_HOURS: Week = {d: [["08:00", "16:30"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})$")


def _hhmm(hours: str, minutes: str) -> str | None:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def parse_day_hours(value: str) -> list[list[str]]:
    """``"8:00-12:00, 13:00-16:30"`` -> ``[["08:00", "12:00"], ["13:00", "16:30"]]``.

    Empty or ``closed`` is a closed day. Times are local, 24-hour; ``24:00`` ends a span at
    midnight. Spans must not overlap. Raises ValueError with a message for people.
    """
    value = text(value)
    if not value or value.lower() == "closed":
        return []
    spans = []
    for part in re.split(r"[,;]", value):
        part = part.strip()
        if not part:
            continue
        match = _SPAN_RE.match(part)
        start = match and _hhmm(match.group(1), match.group(2))
        end = match and _hhmm(match.group(3), match.group(4))
        if not start or not end or start == "24:00":
            raise ValueError(gettext("%(part)s is not a span like 08:00-16:30.", part=repr(part)))
        if end <= start:
            raise ValueError(gettext("%(part)s: the end must be after the start.", part=part))
        spans.append([start, end])
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(gettext("Spans must not overlap."))
    return spans


def format_day_hours(spans: Iterable[Iterable[str]] | None) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


def opening_hours_text(office: Office | None) -> dict[str, str]:
    """An office's week as one text per day (the form's fields), ``hours_mon`` ... ``hours_sun``;
    a new office's default week for None."""
    hours = (office.opening_hours if office else WEEKDAY_HOURS) or {}
    return {f"hours_{day}": format_day_hours(hours.get(day, [])) for day in WEEKDAYS}


def parse_week(value: Mapping[str, object], errors: dict[str, list[str]]) -> Week:
    """Accepts {day: text} or {day: [[start, end], ...]}; fills ``errors`` under ``hours_<day>``."""
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        errors["opening_hours"] = [gettext("Unknown day(s): %(choices)s.", choices=", ".join(sorted(unknown)))]
    week: Week = {}
    for day in WEEKDAYS:
        raw = value.get(day) or ""
        try:
            # Any JSON value: a list of the wrong shape raises TypeError or ValueError, reported below.
            week[day] = parse_day_hours(raw if isinstance(raw, str) else format_day_hours(raw))  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            errors[f"hours_{day}"] = [str(exc)]
    return week


def _span_bounds(day: date, start: str, end: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    lo = datetime.combine(day, time.fromisoformat(start), tz)
    hi = (
        datetime.combine(day + timedelta(days=1), time(0), tz)
        if end == "24:00"
        else datetime.combine(day, time.fromisoformat(end), tz)
    )
    return lo.astimezone(UTC), hi.astimezone(UTC)


def open_time_between(
    office: Office, start: datetime, end: datetime, *, enough: timedelta | None = None, max_days: int = 366
) -> timedelta:
    """How much of [start, end) falls inside the office's opening hours (real elapsed time, so a
    DST night counts right). Counts backwards from ``end`` and stops once past ``enough``."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    tz, hours = office.tz, office.opening_hours or {}
    total = timedelta(0)
    day, first = end.astimezone(tz).date(), start.astimezone(tz).date()
    for _ in range(max_days):
        if day < first:
            break
        for span_start, span_end in hours.get(WEEKDAYS[day.weekday()], []):
            lo, hi = _span_bounds(day, span_start, span_end, tz)
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                total += hi - lo
        if enough is not None and total > enough:
            break
        day -= timedelta(days=1)
    return total
