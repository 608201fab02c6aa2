"""Exports of the admin site: raw responses and aggregates as CSV, plain functions on a session.

The responses export is a generator from the database to the socket: one query,
read through a server-side cursor on PostgreSQL (``yield_per`` turns on
``stream_results``; SQLite's cursor steps through the result anyway), turned
into CSV text a chunk at a time. Its memory does not depend on the number of
rows exported.

Cells are written with the csv module (RFC 4180 quoting, CRLF line ends), and a
text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) gets a leading single quote
(OWASP "CSV injection").

The A-11 Section 280 files (per-detail uploads, collection, worksheet) live in ``a11_files.py``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, cast, or_, select

from feedback.database import DbSession
from feedback.models import Location, Office, Response, SurveyVersion
from feedback.services import aggregation
from feedback.services.responses_query import utc_bounds

RESPONSE_COLUMNS = (
    "id",
    "location",
    "office",
    "channel",
    "rating",
    "scale",
    "survey_version",
    "language",
    "client_time_utc",
    "client_time_local",
    "received_at_utc",
    "suspect",
    "followup_offered",
    "followup_chosen",
    "comment",
    "comment_state",
)
AGGREGATE_COLUMNS = (
    "group",
    "key",
    "count",
    "positive",
    "csat",
    "mean",
    "scale",
    "distribution",
    "suspect_count",
)
T = TypeVar("T")

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
YIELD_PER = 1000  # rows fetched from the database at a time
CHUNK_SIZE = 64 * 1024  # characters of CSV handed to the server at a time
BOM = "\ufeff"  # lets spreadsheet programs read the file as UTF-8 (accents in comments, office names)


def safe_cell(value: T | None) -> T | str:
    """A cell value as written: None empty, formula-like text defused with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _Chunks:
    """A file-like sink for csv.writer that collects text until a chunk is full."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


def csv_chunks(
    header: Iterable[str],
    rows: Iterable[Iterable],
    *,
    chunk_size: int = CHUNK_SIZE,
    bom: bool = True,
    guard: bool = True,
) -> Iterator[str]:
    """CSV text for ``header`` and ``rows`` in pieces of about ``chunk_size`` characters.

    The first piece is the header alone, given before ``rows`` is touched, so a caller
    can send it (and the download can start) before the query runs. ``guard=False`` is for
    rows whose text cells went through :func:`safe_cell` already (:func:`response_rows`).
    """
    sink = _Chunks()
    writer = csv.writer(sink, lineterminator="\r\n")
    if bom:
        sink.write(BOM)
    writer.writerow(header)
    yield sink.take()
    writerow = writer.writerow
    for row in rows:
        writerow([safe_cell(value) for value in row] if guard else row)  # csv writes None as ""
        if sink.size >= chunk_size:
            yield sink.take()
    if sink.size:
        yield sink.take()


def csv_text(header: Iterable[str], rows: Iterable[Iterable], *, bom: bool = True) -> str:
    return "".join(csv_chunks(header, rows, bom=bom))


class _JoinedChoices(dict[str | None, str]):
    """Stored follow-up lists (their JSON text) as ``a;b``; the few distinct lists are parsed once."""

    def __missing__(self, raw: str | None) -> str:
        joined = ";".join(json.loads(raw) or ()) if raw else ""
        if len(self) < 4096:  # stays small whatever the data
            self[raw] = joined
        return joined


def response_rows(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    yield_per: int = YIELD_PER,
) -> Iterator[tuple]:
    """One tuple per response (columns :data:`RESPONSE_COLUMNS`), oldest client time first,
    text cells already passed through :func:`safe_cell`.

    Responses count when their client time falls on ``start..end`` (inclusive) in their
    office's time zone, as everywhere else. Locations, offices and survey scales are read
    once up front; the responses are read ``yield_per`` rows at a time (a server-side cursor
    on PostgreSQL). This runs once per exported row, so it avoids the ORM and per-row JSON
    parsing: 200,000 rows take a few seconds.
    """
    places: dict[int, tuple[str, str, ZoneInfo]] = {}
    by_zone: dict[str, list[int]] = defaultdict(list)
    for loc_id, code, office, tz in session.execute(
        select(Location.id, Location.code, Office.name, Office.timezone)
        .join(Location.office)
        .where(Location.id.in_(location_ids))
    ):
        places[loc_id] = (safe_cell(code), safe_cell(office), ZoneInfo(tz))
        by_zone[tz].append(loc_id)
    if not by_zone:
        return
    scales = dict(session.execute(select(SurveyVersion.id, SurveyVersion.scale)).all())
    windows = []
    for tz, ids in by_zone.items():
        lo, hi = utc_bounds(ZoneInfo(tz), start, end)
        windows.append(
            and_(Response.location_id.in_(sorted(ids)), Response.client_time >= lo, Response.client_time < hi)
        )
    query = select(
        Response.id,
        Response.location_id,
        Response.channel,
        Response.rating,
        Response.survey_version_id,
        Response.language,
        Response.client_time,
        Response.received_at,
        Response.suspect,
        # The JSON lists as their stored text: few distinct values, parsed once each (_JoinedChoices).
        cast(Response.followup_offered, Text),
        cast(Response.followup_chosen, Text),
        Response.comment,
        Response.comment_state,
    ).where(or_(*windows))
    if channel:
        query = query.where(Response.channel == channel)
    query = query.order_by(Response.client_time, Response.id)

    choices = _JoinedChoices()
    result = session.connection().execute(query, execution_options={"yield_per": yield_per})
    try:
        for (
            ident,
            location_id,
            channel_,
            rating,
            version_id,
            language,
            client_time,
            received_at,
            suspect,
            offered,
            chosen,
            comment,
            comment_state,
        ) in result:
            code, office, zone = places[location_id]
            yield (
                str(ident),
                code,
                office,
                channel_,
                rating,
                scales.get(version_id),
                version_id,
                language,
                client_time.isoformat(),
                client_time.astimezone(zone).isoformat(),
                received_at.isoformat(),
                "true" if suspect else "false",
                choices[offered],
                choices[chosen],
                safe_cell(comment) if comment else comment,
                comment_state,
            )
    finally:
        result.close()  # also when the download is cut short: frees the server-side cursor


def _number(value: T | None) -> T | str:
    return "" if value is None else value


def distribution_text(distribution: dict[str, list[int]]) -> str:
    """``{"faces5": [1, 0, 2, 5, 9]}`` as ``faces5=1/0/2/5/9`` (several scales separated by ``; ``)."""
    return "; ".join(f"{scale}={'/'.join(str(n) for n in counts)}" for scale, counts in distribution.items())


def aggregate_rows(summary: dict) -> Iterator[tuple]:
    """Rows (columns :data:`AGGREGATE_COLUMNS`) of a :func:`aggregation.summarize` result:
    one per group, in its order, then the total."""

    def row(group: str, key: object, stats: dict) -> tuple:
        return (
            group,
            key,
            stats["count"],
            stats["positive"],
            _number(stats["csat"]),
            _number(stats["mean"]),
            stats["scale"],
            distribution_text(stats["distribution"]),
            stats["suspect_count"],
        )

    for entry in summary.get("groups", ()):
        yield row(summary["group"], entry["key"], entry)
    yield row("total", "", summary["total"])


def aggregates(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = "day",
    include_suspect: bool = False,
) -> Iterator[tuple]:
    """The numbers of :func:`aggregation.summarize` for this filter and group, as table rows."""
    summary = aggregation.summarize(
        session, location_ids, start, end, channel=channel, group=group, include_suspect=include_suspect
    )
    return aggregate_rows(summary)
