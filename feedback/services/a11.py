"""OMB Circular A-11 Section 280 exports for one federal fiscal quarter: plain functions on a session.

Two files, in the layouts of the A-11 CX data collection (as uploaded to Touchpoints):

* **per response** (:data:`RESPONSE_COLUMNS`): one row per counted response, read from
  ``responses`` a few thousand rows at a time (a server-side cursor on PostgreSQL, as
  :func:`feedback.services.exports.response_rows`);
* **quarterly collection** (:data:`COLLECTION_COLUMNS`): one row per service, transaction point
  (a location) and channel, counted from the rollups, with the customer volumes managers enter
  (:mod:`feedback.services.volumes`) and the name of every figure still missing.

Counted means: client time on a local date of the quarter in the office's time zone, not a
suspect (repeat tap), not marked as spam. Suspects and spam are reported separately in the
collection. A-11 accepts the 5-point scale and thumbs up/down for the trust question; a
response on another scale (4 faces, 3 faces) is exported with its own rating and a ``warning``
column saying so, never silently mapped onto 1..5.

Choices made where A-11 leaves them open: ``transaction_point`` is "office — location name
(code)"; ``channel`` is our channel code, ``kiosk`` or ``qr`` (as in the volumes import);
``fiscal_year`` and ``quarter`` are "2027" and "1"; a driver count is empty when the driver was
never offered there in the quarter (0 means offered and never chosen); ``missing`` names the
empty figures of :data:`REQUIRED_FIGURES` separated by ";", ``warning`` the scale problems.

The files are plain UTF-8 without a byte-order mark, as uploads to Touchpoints expect (a reader
that does not strip a BOM would see the first header as ``\\ufeffexternal_id``), with CRLF line
ends like every other export.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import Session

from feedback.models import (
    CustomerVolume,
    FollowupDaily,
    Location,
    Office,
    Response,
    ResponseHourly,
    Survey,
    SurveyVersion,
)
from feedback.models.responses import CHANNELS
from feedback.models.rollups import RATING_COLUMNS
from feedback.scales import DRIVERS, MAX_POINTS, SCALES, polarity
from feedback.services.exports import YIELD_PER, csv_chunks, csv_text, safe_cell
from feedback.services.fiscal import FiscalQuarter
from feedback.services.responses_query import utc_bounds

SIDES = ("positive", "negative")
DRIVER_COLUMNS = tuple(f"{side}_{driver}" for side in SIDES for driver in DRIVERS)
RESPONSE_COLUMNS = ("external_id", "question_1", *DRIVER_COLUMNS, "question_4")
Q1_COLUMNS = tuple(f"q1_{k}" for k in range(1, MAX_POINTS + 1))
VOLUME_FIELDS = ("volume_of_customers", "volume_of_customers_provided_survey_opportunity")
COLLECTION_COLUMNS = (
    "fiscal_year",
    "quarter",
    "service_provided",
    "transaction_point",
    "channel",
    *VOLUME_FIELDS,
    "volume_of_respondents",
    "survey_title",
    "survey_type",
    "trust_question_text",
    "omb_control_number",
    "federal_register_url",
    *Q1_COLUMNS,
    *DRIVER_COLUMNS,
    # Ours, after the A-11 columns: what the counts leave out, and what is missing or doubtful.
    "suspect_respondents",
    "spam_respondents",
    "missing",
    "warning",
)
WARNING_COLUMN = "warning"
# Figures a collection row needs that someone has to enter (missing ones are named in ``missing``).
REQUIRED_FIGURES = ("service_provided", *VOLUME_FIELDS, "omb_control_number", "federal_register_url")

ACCEPTED_SCALES = frozenset({"faces5", "thumbs"})
SURVEY_TYPES = {
    "faces5": "5-point scale",
    "faces4": "4-point scale",
    "three": "3-point scale",
    "thumbs": "Thumbs up/down",
}
SPAM = "spam"


def scale_warning(scale: str) -> str | None:
    """Why a scale's ratings cannot go into A-11 as they are; None for an accepted scale."""
    if scale in ACCEPTED_SCALES:
        return None
    return f"Scale {scale} ({SCALES[scale].points} points) is not an A-11 Section 280 scale; rating not mapped"


def transaction_point(office_name: str, location_name: str, code: str) -> str:
    """``Houston Passport Agency — Counter 1 (HOU-C1)``: location names repeat across offices
    and codes mean little outside ours, so the point is named by all three."""
    return f"{office_name} \u2014 {location_name} ({code})"


# --- the quarter's responses -------------------------------------------------------------------


@dataclass
class _Places:
    """Where the chosen locations are, and the SQL condition for the quarter's local dates."""

    zones: dict[int, ZoneInfo]
    window: object | None  # None when no location was chosen

    @classmethod
    def of(cls, session: Session, location_ids, quarter: FiscalQuarter) -> _Places:
        zones: dict[int, ZoneInfo] = {}
        by_zone: dict[str, list[int]] = defaultdict(list)
        for loc_id, tz in session.execute(
            select(Location.id, Office.timezone).join(Location.office).where(Location.id.in_(list(location_ids)))
        ):
            zones[loc_id] = ZoneInfo(tz)
            by_zone[tz].append(loc_id)
        windows = []
        for tz, ids in sorted(by_zone.items()):
            lo, hi = utc_bounds(ZoneInfo(tz), quarter.start, quarter.end)
            windows.append(
                and_(Response.location_id.in_(sorted(ids)), Response.client_time >= lo, Response.client_time < hi)
            )
        return cls(zones, or_(*windows) if windows else None)


def _counted():
    """Responses that count: no repeat taps, no spam (a NULL state is "no comment", so it counts)."""
    return and_(Response.suspect == false(), Response.comment_state.is_distinct_from(SPAM))


def response_scales(session: Session, location_ids, quarter: FiscalQuarter) -> set[str]:
    """The scales of the responses :func:`response_rows` exports (they decide its header)."""
    places = _Places.of(session, location_ids, quarter)
    if places.window is None:
        return set()
    version_ids = session.scalars(select(Response.survey_version_id).distinct().where(places.window, _counted())).all()
    if not version_ids:
        return set()
    return set(session.scalars(select(SurveyVersion.scale).where(SurveyVersion.id.in_(version_ids)).distinct()))


def response_header(scales: set[str]) -> tuple[str, ...]:
    """The A-11 columns, plus ``warning`` when a scale A-11 does not accept is among ``scales``."""
    if any(scale_warning(scale) for scale in scales):
        return (*RESPONSE_COLUMNS, WARNING_COLUMN)
    return RESPONSE_COLUMNS


class _DriverCells(dict):
    """The 14 driver cells for (offered JSON, chosen JSON, side): "1" chosen, "0" offered and
    not chosen, "" not offered; the other side's cells empty. Few distinct keys, built once each."""

    def __missing__(self, key):
        offered_raw, chosen_raw, side = key
        offered = set(json.loads(offered_raw) or ()) if offered_raw else set()
        chosen = set(json.loads(chosen_raw) or ()) if chosen_raw else set()
        mine = tuple("1" if d in chosen else "0" if d in offered else "" for d in DRIVERS)
        empty = ("",) * len(DRIVERS)
        cells = mine + empty if side == "positive" else empty + mine
        if len(self) < 4096:  # stays small whatever the data
            self[key] = cells
        return cells


def response_rows(
    session: Session, location_ids, quarter: FiscalQuarter, *, warning: bool, yield_per: int = YIELD_PER
) -> Iterator[tuple]:
    """One tuple per counted response of the quarter, oldest client time first (then id), in the
    order of :data:`RESPONSE_COLUMNS` (plus the warning cell when ``warning``); text cells went
    through :func:`safe_cell` already."""
    places = _Places.of(session, location_ids, quarter)
    if places.window is None:
        return
    scales = {vid: SCALES[key] for vid, key in session.execute(select(SurveyVersion.id, SurveyVersion.scale))}
    warnings = {vid: scale_warning(scale.key) or "" for vid, scale in scales.items()}
    query = (
        select(
            Response.id,
            Response.survey_version_id,
            Response.rating,
            cast(Response.followup_offered, Text),
            cast(Response.followup_chosen, Text),
            Response.comment,
        )
        .where(places.window, _counted())
        .order_by(Response.client_time, Response.id)
    )
    cells = _DriverCells()
    result = session.connection().execute(query, execution_options={"yield_per": yield_per})
    try:
        for ident, version_id, rating, offered, chosen, comment in result:
            side = polarity(scales[version_id], rating)
            row = (str(ident), rating, *cells[(offered, chosen, side)], safe_cell(comment) if comment else "")
            yield (*row, warnings[version_id]) if warning else row
    finally:
        result.close()  # also when a download is cut short: frees the server-side cursor


def response_export(session: Session, location_ids, quarter: FiscalQuarter) -> tuple[tuple[str, ...], Iterator]:
    """The header (known before any row is read) and the rows of the per-response file."""
    ids = list(location_ids)
    header = response_header(response_scales(session, ids, quarter))
    return header, response_rows(session, ids, quarter, warning=WARNING_COLUMN in header)


def response_csv(session: Session, location_ids, quarter: FiscalQuarter) -> Iterator[str]:
    """The per-response file as CSV text in chunks; the first chunk is the header alone."""
    header, rows = response_export(session, location_ids, quarter)
    return csv_chunks(header, rows, bom=False, guard=False)


def write_response_file(session: Session, location_ids, quarter: FiscalQuarter, path) -> tuple[tuple[str, ...], int]:
    """Write the per-response file to ``path`` (streamed); returns its header and row count."""
    header, rows = response_export(session, location_ids, quarter)
    written = 0

    def counting():
        nonlocal written
        for row in rows:
            written += 1
            yield row

    with open(path, "w", encoding="utf-8", newline="") as fh:
        for chunk in csv_chunks(header, counting(), bom=False, guard=False):
            fh.write(chunk)
    return header, written


# --- the quarterly collection ------------------------------------------------------------------


@dataclass
class Counts:
    """What the rollups and the responses say about one location and channel in a quarter."""

    respondents: int = 0  # counted: not suspect, not spam
    suspects: int = 0
    spam: int = 0
    by_scale: dict[str, list[int]] = field(default_factory=dict)  # counted ratings, r1..r5 per scale
    chosen: dict[tuple[str, str], int] = field(default_factory=dict)  # (side, driver) -> times chosen
    offered: set[tuple[str, str]] = field(default_factory=set)  # (side, driver) offered at least once
    version_id: int | None = None  # the newest survey version answered here this quarter


def counts(session: Session, location_ids, quarter: FiscalQuarter) -> dict[tuple[int, str], Counts]:
    """Counts per (location id, channel) that saw any response this quarter (spam included).

    Ratings and follow-ups come from the rollups (``response_hourly``, ``followup_daily``: local
    dates, spam already taken out of them); spam and the survey version from ``responses``, one
    grouped scan of the quarter's index range.
    """
    ids = list(location_ids)
    found: dict[tuple[int, str], Counts] = defaultdict(Counts)
    if not ids:
        return {}
    in_quarter = (
        ResponseHourly.location_id.in_(ids),
        ResponseHourly.local_date >= quarter.start,
        ResponseHourly.local_date <= quarter.end,
    )
    ratings = [func.sum(getattr(ResponseHourly, col)) for col in RATING_COLUMNS]
    for loc_id, channel, scale, suspect, n, *per_rating in session.execute(
        select(
            ResponseHourly.location_id,
            ResponseHourly.channel,
            ResponseHourly.scale,
            ResponseHourly.suspect,
            func.sum(ResponseHourly.n),
            *ratings,
        )
        .where(*in_quarter)
        .group_by(ResponseHourly.location_id, ResponseHourly.channel, ResponseHourly.scale, ResponseHourly.suspect)
    ):
        if not n:
            continue  # a bucket emptied by spam
        entry = found[(loc_id, channel)]
        if suspect:
            entry.suspects += n
            continue
        entry.respondents += n
        dist = entry.by_scale.setdefault(scale, [0] * MAX_POINTS)
        for k, value in enumerate(per_rating):
            dist[k] += value or 0
    for loc_id, channel, side, choice, offered, chosen in session.execute(
        select(
            FollowupDaily.location_id,
            FollowupDaily.channel,
            FollowupDaily.polarity,
            FollowupDaily.choice,
            func.sum(FollowupDaily.offered),
            func.sum(FollowupDaily.chosen),
        )
        .where(
            FollowupDaily.location_id.in_(ids),
            FollowupDaily.local_date >= quarter.start,
            FollowupDaily.local_date <= quarter.end,
            FollowupDaily.suspect == false(),
        )
        .group_by(FollowupDaily.location_id, FollowupDaily.channel, FollowupDaily.polarity, FollowupDaily.choice)
    ):
        if offered:
            entry = found[(loc_id, channel)]
            entry.offered.add((side, choice))
            entry.chosen[(side, choice)] = chosen or 0
    places = _Places.of(session, ids, quarter)
    if places.window is not None:
        spam = func.sum(case((Response.comment_state == SPAM, 1), else_=0))
        for loc_id, channel, version_id, spam_count in session.execute(
            select(Response.location_id, Response.channel, func.max(Response.survey_version_id), spam)
            .where(places.window)
            .group_by(Response.location_id, Response.channel)
        ):
            entry = found[(loc_id, channel)]
            entry.version_id = version_id
            entry.spam = int(spam_count or 0)
    return dict(found)


@dataclass
class CollectionRow:
    """One row of the quarterly collection; :meth:`cells` in the order of :data:`COLLECTION_COLUMNS`."""

    quarter: FiscalQuarter
    location: Location
    channel: str
    version: SurveyVersion
    survey_title: str
    counts: Counts
    volume: CustomerVolume | None
    service_provided: str | None
    missing: list[str]
    warnings: list[str]

    @property
    def scale(self) -> str:
        return self.version.scale

    def value(self, figure: str):
        if figure in VOLUME_FIELDS:
            return getattr(self.volume, figure) if self.volume is not None else None
        if figure == "service_provided":
            return self.service_provided
        return getattr(self.version, figure)

    def q1(self) -> list:
        """Counts per rating of the reported scale; columns beyond its points stay empty."""
        points = SCALES[self.scale].points
        dist = self.counts.by_scale.get(self.scale, [0] * MAX_POINTS)
        return [dist[k] if k < points else None for k in range(MAX_POINTS)]

    def drivers(self) -> list:
        """Times each driver was chosen; empty when it was never offered here this quarter."""
        return [
            self.counts.chosen.get((side, d), 0) if (side, d) in self.counts.offered else None
            for side in SIDES
            for d in DRIVERS
        ]

    def cells(self) -> tuple:
        loc = self.location
        return (
            str(self.quarter.fiscal_year),
            str(self.quarter.quarter),
            self.service_provided,
            transaction_point(loc.office.name, loc.name, loc.code),
            self.channel,
            *(self.value(name) for name in VOLUME_FIELDS),
            self.counts.respondents,
            self.survey_title,
            SURVEY_TYPES[self.scale],
            self.version.question.get("en"),
            self.version.omb_control_number,
            self.version.federal_register_url,
            *self.q1(),
            *self.drivers(),
            self.counts.suspects,
            self.counts.spam,
            ";".join(self.missing),
            " | ".join(self.warnings),
        )


def _warnings(scale: str, counts_: Counts) -> list[str]:
    warnings = [w for w in (scale_warning(scale),) if w]
    used = sorted(s for s, dist in counts_.by_scale.items() if sum(dist))
    if len(used) > 1 or (used and used != [scale]):
        reported = sum(counts_.by_scale.get(scale, ()))
        warnings.append(
            f"Several scales this quarter ({', '.join(used)}); q1_1..q1_5 count the {scale} "
            f"ratings only ({reported} of {counts_.respondents} respondents)"
        )
    return warnings


def collection(
    session: Session, location_ids, quarter: FiscalQuarter, *, found: dict[tuple[int, str], Counts] | None = None
) -> list[CollectionRow]:
    """Rows for every location and channel with responses (of any kind) or volumes this quarter,
    ordered by office name, location code and channel (kiosk, qr).

    The survey is the newest version answered there this quarter, else the location's survey as
    it is now: its name, question, OMB control number and Federal Register notice are reported.
    ``found`` is the result of :func:`counts` for the same arguments, when the caller has it.
    """
    ids = list(location_ids)
    if not ids:
        return []
    found = counts(session, ids, quarter) if found is None else found
    volumes = {
        (v.location_id, v.channel): v
        for v in session.scalars(
            select(CustomerVolume).where(
                CustomerVolume.location_id.in_(ids),
                CustomerVolume.fiscal_year == quarter.fiscal_year,
                CustomerVolume.quarter == quarter.quarter,
            )
        )
    }
    keys = set(found) | set(volumes)
    if not keys:
        return []
    locations = {loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_({k[0] for k in keys})))}
    version_ids = {c.version_id for c in found.values() if c.version_id is not None}
    versions = (
        {v.id: v for v in session.scalars(select(SurveyVersion).where(SurveyVersion.id.in_(version_ids)))}
        if version_ids
        else {}
    )
    current: dict[int, SurveyVersion] = {}
    surveys = dict(session.execute(select(Survey.id, Survey.name)).all())
    rows = []
    for loc_id, channel in keys:
        location = locations[loc_id]
        entry = found.get((loc_id, channel), Counts())
        version = versions.get(entry.version_id)
        if version is None:
            if location.survey_id not in current:
                current[location.survey_id] = SurveyVersion.current_for(session, location.survey_id)
            version = current[location.survey_id]
        row = CollectionRow(
            quarter,
            location,
            channel,
            version,
            surveys[version.survey_id],
            entry,
            volumes.get((loc_id, channel)),
            location.effective_service_provided,
            [],
            _warnings(version.scale, entry),
        )
        row.missing = [name for name in REQUIRED_FIGURES if row.value(name) in (None, "")]
        rows.append(row)
    rows.sort(key=lambda r: (r.location.office.name, r.location.code, CHANNELS.index(r.channel)))
    return rows


def collection_csv(rows: list[CollectionRow]) -> str:
    """The quarterly collection as CSV text (cells formula-guarded, no BOM)."""
    return csv_text(COLLECTION_COLUMNS, (row.cells() for row in rows), bom=False)
