"""The dashboards' figures worked out independently of the product: plain SQL over ``responses``,
local dates and hours with zoneinfo, CSAT by the published rule (top two of five faces, thumbs up),
formatted with Babel as an English reader sees it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from sqlalchemy import text

from feedback.numbers import half_up

POSITIVE_FROM = {"faces5": 4, "faces4": 3, "three": 3, "thumbs": 2}  # the CSAT rule, restated here on purpose


@dataclass
class Row:
    code: str
    local: datetime
    rating: int
    channel: str
    suspect: bool
    scale: str
    comment: str | None


def _utc(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back the stored text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def responses(session) -> list[Row]:
    session.rollback()
    rows = session.execute(
        text(
            "SELECT l.code, o.timezone, r.client_time, r.rating, r.channel, r.suspect, v.scale, r.comment "
            "FROM responses r JOIN locations l ON l.id = r.location_id JOIN offices o ON o.id = l.office_id "
            "JOIN survey_versions v ON v.id = r.survey_version_id"
        )
    ).all()
    return [
        Row(code, _utc(when).astimezone(ZoneInfo(tz)), rating, channel, bool(suspect), scale, comment)
        for code, tz, when, rating, channel, suspect, scale, comment in rows
    ]


@dataclass
class Expected:
    count: int
    positive: int
    rating_sum: int
    suspect: int
    scales: set
    distribution: dict

    @property
    def csat(self):
        return self.positive / self.count if self.count else None

    @property
    def mean(self):
        return self.rating_sum / self.count if self.count and len(self.scales) == 1 else None


def expect(rows: list[Row], codes, first: date, last: date, channel: str | None = None) -> Expected:
    chosen = [
        r
        for r in rows
        if r.code in codes and first <= r.local.date() <= last and (channel is None or r.channel == channel)
    ]
    counted = [r for r in chosen if not r.suspect]
    return Expected(
        len(counted),
        sum(r.rating >= POSITIVE_FROM[r.scale] for r in counted),
        sum(r.rating for r in counted),
        sum(r.suspect for r in chosen),
        {r.scale for r in counted},
        Counter((r.scale, r.rating) for r in counted),
    )


def pct(value) -> str:
    """Rounded half up (feedback.numbers), then laid out by Babel."""
    return "—" if value is None else format_percent(half_up(value, 3), "#,##0.0%", locale="en")


def num(value) -> str:
    return format_decimal(value, "#,##0", locale="en")


def mean(value) -> str:
    return "—" if value is None else format_decimal(half_up(value, 2), "#,##0.00", locale="en")
