"""An independent recomputation of the figures from raw responses, for tests to compare against.

Nothing here reads the rollup tables or calls the services that do: every figure is worked out
in Python from the rows of ``responses`` (and the survey versions, locations and offices they
point at), with the rules as the issue states them: local dates in the office's current time
zone, a response counts unless it is a suspect (repeat tap or repeat phone answer) or marked as
spam, spam counts nowhere, CSAT is the share of ratings at or above the scale's positive
threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from feedback.models import FollowupDaily, Location, Office, Response, ResponseHourly, SurveyVersion

POSITIVE_FROM = {"faces5": 4, "faces4": 3, "three": 3, "thumbs": 2}
POINTS = {"faces5": 5, "faces4": 4, "three": 3, "thumbs": 2}


@dataclass(frozen=True)
class Raw:
    """One stored response with what the rules need, read straight from the tables."""

    id: object
    location_id: int
    code: str
    office_id: int
    zone: ZoneInfo
    client_time: datetime
    channel: str
    version_id: int
    scale: str
    rating: int
    suspect: bool
    spam: bool
    offered: tuple[str, ...]
    chosen: tuple[str, ...]
    comment: str | None
    device_id: int | None

    @property
    def local(self) -> datetime:
        return self.client_time.astimezone(self.zone)

    @property
    def local_date(self) -> date:
        return self.local.date()

    @property
    def counted(self) -> bool:
        return not self.suspect and not self.spam

    @property
    def positive(self) -> bool:
        return self.rating >= POSITIVE_FROM[self.scale]


def raw_responses(session) -> list[Raw]:
    places = {
        loc_id: (code, office_id, ZoneInfo(tz))
        for loc_id, code, office_id, tz in session.execute(
            select(Location.id, Location.code, Location.office_id, Office.timezone).join(
                Office, Office.id == Location.office_id
            )
        )
    }
    scales = dict(session.execute(select(SurveyVersion.id, SurveyVersion.scale)).all())
    out = []
    for r in session.scalars(select(Response).order_by(Response.client_time, Response.id)):
        code, office_id, zone = places[r.location_id]
        out.append(
            Raw(
                r.id,
                r.location_id,
                code,
                office_id,
                zone,
                r.client_time,
                r.channel,
                r.survey_version_id,
                scales[r.survey_version_id],
                r.rating,
                bool(r.suspect),
                r.comment_state == "spam",
                tuple(r.followup_offered or ()),
                tuple(r.followup_chosen or ()),
                r.comment,
                r.device_id,
            )
        )
    return out


def expected_rollups(raws: list[Raw]) -> tuple[dict, dict]:
    """(hourly, followup) as the rollup tables must hold them (non-zero rows only)."""
    hourly: dict[tuple, list[int]] = defaultdict(lambda: [0] * 7)
    followups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in raws:
        if r.spam:
            continue
        local = r.local
        row = hourly[(r.location_id, local.date(), local.hour, r.channel, r.scale, r.suspect)]
        row[0] += 1
        row[1] += r.rating
        row[1 + r.rating] += 1
        side = "positive" if r.positive else "negative"
        for choice in r.offered:
            counts = followups[(r.location_id, local.date(), r.channel, r.suspect, side, choice)]
            counts[0] += 1
            counts[1] += choice in r.chosen
    return dict(hourly), dict(followups)


def stored_rollups(session) -> tuple[dict, dict]:
    """The rollup tables as the same dicts; a row emptied by removals must be all zeros (and is left out)."""
    hourly, followups = {}, {}
    for row in session.scalars(select(ResponseHourly)):
        values = [row.n, row.rating_sum, row.r1, row.r2, row.r3, row.r4, row.r5]
        assert min(values) >= 0, ("negative rollup bucket", row.location_id, row.local_date, row.local_hour, values)
        assert row.weekday == row.local_date.weekday()
        if row.n:
            key = (row.location_id, row.local_date, row.local_hour, row.channel, row.scale, bool(row.suspect))
            hourly[key] = values
        else:
            assert not any(values), values
    for row in session.scalars(select(FollowupDaily)):
        assert min(row.offered, row.chosen) >= 0 and row.chosen <= row.offered
        if row.offered:
            key = (row.location_id, row.local_date, row.channel, bool(row.suspect), row.polarity, row.choice)
            followups[key] = [row.offered, row.chosen]
    return hourly, followups


def assert_rollups_match(session) -> list[Raw]:
    """Both rollup tables equal the recomputation; returns the raw responses read."""
    raws = raw_responses(session)
    want_hourly, want_followups = expected_rollups(raws)
    got_hourly, got_followups = stored_rollups(session)
    assert got_hourly == want_hourly
    assert got_followups == want_followups
    return raws


@dataclass
class Tally:
    """Counted responses of a selection, as the dashboards and the read API report them."""

    count: int = 0
    positive: int = 0
    rating_sum: int = 0
    suspects: int = 0

    def add(self, r: Raw) -> None:
        if r.spam:
            return
        if r.suspect:
            self.suspects += 1
            return
        self.count += 1
        self.positive += r.positive
        self.rating_sum += r.rating


def tally(raws, *, location_ids=None, start: date | None = None, end: date | None = None, channel=None) -> Tally:
    out = Tally()
    for r in raws:
        if location_ids is not None and r.location_id not in location_ids:
            continue
        if channel and r.channel != channel:
            continue
        if (start and r.local_date < start) or (end and r.local_date > end):
            continue
        out.add(r)
    return out
