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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from feedback.models import (
    CustomerVolume,
    FollowupDaily,
    LanguageDaily,
    Location,
    Office,
    Response,
    ResponseHourly,
    SurveyVersion,
)

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
    language: str

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
                r.language,
            )
        )
    return out


def expected_rollups(raws: list[Raw]) -> tuple[dict, dict, dict]:
    """(hourly, followup, language) as the rollup tables must hold them (non-zero rows only)."""
    hourly: dict[tuple, list[int]] = defaultdict(lambda: [0] * 7)
    followups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    languages: dict[tuple, int] = defaultdict(int)
    for r in raws:
        if r.spam:
            continue
        local = r.local
        languages[(r.location_id, local.date(), r.channel, r.suspect, r.language)] += 1
        row = hourly[(r.location_id, local.date(), local.hour, r.channel, r.scale, r.suspect)]
        row[0] += 1
        row[1] += r.rating
        row[1 + r.rating] += 1
        side = "positive" if r.positive else "negative"
        for choice in r.offered:
            counts = followups[(r.location_id, local.date(), r.channel, r.suspect, side, choice)]
            counts[0] += 1
            counts[1] += choice in r.chosen
    return dict(hourly), dict(followups), dict(languages)


def stored_rollups(session) -> tuple[dict, dict, dict]:
    """The rollup tables as the same dicts; a row emptied by removals must be all zeros (and is left out)."""
    hourly, followups, languages = {}, {}, {}
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
    for row in session.scalars(select(LanguageDaily)):
        assert row.n >= 0, ("negative language count", row.location_id, row.local_date, row.language, row.n)
        if row.n:
            languages[(row.location_id, row.local_date, row.channel, bool(row.suspect), row.language)] = row.n
    return hourly, followups, languages


def assert_rollups_match(session) -> list[Raw]:
    """Every rollup table equals the recomputation; returns the raw responses read."""
    raws = raw_responses(session)
    want_hourly, want_followups, want_languages = expected_rollups(raws)
    got_hourly, got_followups, got_languages = stored_rollups(session)
    assert got_hourly == want_hourly
    assert got_followups == want_followups
    assert got_languages == want_languages
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
    for r in _selected(raws, location_ids=location_ids, start=start, end=end, channel=channel):
        out.add(r)
    return out


# --- dashboards ----------------------------------------------------------------------------------


def figures(raws, **selection) -> tuple:
    """(count, positive, suspects, {scale: counts per rating}) as the dashboards' Figures hold them."""
    out = tally(raws, **selection)
    dist: dict[str, list[int]] = {}
    for r in _selected(raws, **selection):
        if r.counted:
            dist.setdefault(r.scale, [0] * POINTS[r.scale])[r.rating - 1] += 1
    return out.count, out.positive, out.suspects, dist


def _selected(raws, *, location_ids=None, start=None, end=None, channel=None):
    for r in raws:
        if location_ids is not None and r.location_id not in location_ids:
            continue
        if channel and r.channel != channel:
            continue
        if (start and r.local_date < start) or (end and r.local_date > end):
            continue
        yield r


def heatmap(raws, **selection) -> dict[tuple[int, int], tuple]:
    """(local weekday, local hour) -> figures, for every hour with a response that is not spam."""
    keys = {(r.local.weekday(), r.local.hour) for r in _selected(raws, **selection) if not r.spam}
    return {
        key: figures([r for r in _selected(raws, **selection) if (r.local.weekday(), r.local.hour) == key])
        for key in keys
    }


def followups(raws, **selection) -> dict[tuple[str, str], tuple[int, int]]:
    """(polarity, choice) -> (chosen, offered) over counted responses."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in _selected(raws, **selection):
        if not r.counted:
            continue
        side = "positive" if r.positive else "negative"
        for choice in r.offered:
            out[(side, choice)][0] += choice in r.chosen
            out[(side, choice)][1] += 1
    return {k: tuple(v) for k, v in out.items()}


# --- A-11 ----------------------------------------------------------------------------------------

A11_SCALES = {"thumbs": "thumbs_up_down", "faces5": "likert_scale"}
DEFAULT_CHANNELS = {"kiosk": "self_service_kiosk", "qr": "mobile"}
DRIVER_ORDER = ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExpectedDetail:
    key: tuple
    pairs: set = field(default_factory=set)  # (location id, channel)
    rows: list = field(default_factory=list)  # the upload's rows, in order
    version_id: int | None = None
    survey_type: str | None = None
    served: int | None = None
    offered: int | None = None


def expected_a11(session, raws: list[Raw], quarter) -> dict[tuple, ExpectedDetail]:
    """The quarter's collection details as the issue defines them, from the raw tables."""
    versions = {v.id: v for v in session.scalars(select(SurveyVersion))}
    locations = {loc.id: loc for loc in session.scalars(select(Location))}
    offices = {o.id: o for o in session.scalars(select(Office))}
    current = {}
    for v in versions.values():
        if v.survey_id not in current or v.version > current[v.survey_id].version:
            current[v.survey_id] = v

    def reportable(version) -> bool:
        return version.a11_role == "a11_v2" and version.scale in A11_SCALES

    def key_of(loc_id: int, channel: str) -> tuple:
        loc = locations[loc_id]
        office = offices[loc.office_id]
        provider = office.service_provider or ""
        service = loc.service_provided or office.service_provided or ""
        own = loc.a11_channel_kiosk if channel == "kiosk" else loc.a11_channel_qr
        return (
            provider,
            service,
            "post_interaction",
            own or DEFAULT_CHANNELS[channel],
            0 if provider and service else office.id,
        )

    in_quarter = [r for r in raws if quarter.start <= r.local_date <= quarter.end]
    volumes = {
        (v.location_id, v.channel): v
        for v in session.scalars(
            select(CustomerVolume).where(
                CustomerVolume.fiscal_year == quarter.fiscal_year, CustomerVolume.quarter == quarter.quarter
            )
        )
        if v.volume_of_customers is not None or v.volume_of_customers_provided_survey_opportunity is not None
    }
    pairs = {(r.location_id, r.channel) for r in in_quarter} | set(volumes)
    details: dict[tuple, ExpectedDetail] = {}
    for loc_id, channel in pairs:
        mine = [r for r in in_quarter if (r.location_id, r.channel) == (loc_id, channel)]
        counted = [r for r in mine if r.counted]
        now = current[locations[loc_id].survey_id]
        if any(reportable(versions[r.version_id]) for r in counted) or (not counted and reportable(now)):
            key = key_of(loc_id, channel)
            details.setdefault(key, ExpectedDetail(key)).pairs.add((loc_id, channel))
    for detail in details.values():
        counted = [r for r in in_quarter if (r.location_id, r.channel) in detail.pairs and r.counted]
        answered = [(r.client_time, r.version_id) for r in counted if reportable(versions[r.version_id])]
        if answered:
            detail.version_id = max(answered)[1]
        else:
            options = [current[locations[loc].survey_id] for loc, _ch in detail.pairs]
            options = [v for v in options if reportable(v)]
            detail.version_id = max(v.id for v in options) if options else None
        version = versions.get(detail.version_id)
        detail.survey_type = A11_SCALES[version.scale] if version else None
        rows = [
            r
            for r in counted
            if reportable(versions[r.version_id]) and version and versions[r.version_id].scale == version.scale
        ]
        rows.sort(key=lambda r: (r.client_time, r.id))
        detail.rows = [upload_row(r, versions[r.version_id]) for r in rows]
        for name in ("served", "offered"):
            figure = "volume_of_customers" if name == "served" else "volume_of_customers_provided_survey_opportunity"
            values = [getattr(volumes.get(p), figure, None) for p in detail.pairs]
            setattr(detail, name, None if any(v is None for v in values) else sum(values))
    return details


def upload_row(r: Raw, version) -> tuple[str, ...]:
    """One upload row by Touchpoints' rules (see tests/reporting/touchpoints_check.py)."""
    q1 = {1: "0", 2: "1"}[r.rating] if r.scale == "thumbs" else str(r.rating)
    side = "positive" if r.positive else "negative"
    cells = []
    for column_side in ("positive", "negative"):
        for driver in DRIVER_ORDER:
            if column_side == side and driver in r.chosen:
                cells.append("1")
            elif driver in (version.followup_choices or ()):
                cells.append("0")
            else:
                cells.append("null")
    comment = r.comment or ""
    if comment.startswith(FORMULA):
        comment = "'" + comment
    return (str(r.id), q1, *cells, comment)


def expected_suspects(raws: list[Raw], phone_repeats: dict, window: timedelta = timedelta(seconds=2)) -> dict:
    """The suspect flag each response must have: a kiosk tap when the same device's previous tap (by
    client time, then id) is less than ``window`` before it, whatever the arrival order; a phone
    answer when the visitor had answered just before (``phone_repeats``, by id, as submitted)."""
    out = {}
    taps: dict[int, list[Raw]] = defaultdict(list)
    for r in raws:
        if r.device_id is None:
            out[r.id] = phone_repeats[r.id]
        else:
            taps[r.device_id].append(r)
    for device_taps in taps.values():
        previous = None
        for r in sorted(device_taps, key=lambda r: (r.client_time, r.id)):
            out[r.id] = previous is not None and r.client_time - previous.client_time < window
            previous = r
    return out
