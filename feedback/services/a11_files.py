"""The A-11 files of a quarter: one per-response upload per collection detail, the collection and
the worksheet, as CSV text, a streamed zip (web) or a folder (CLI).

* ``a11-FY2027Q1-responses-<service>-<channel>.csv``: Touchpoints' upload for one detail, exactly
  its 17 headers (:data:`feedback.touchpoints.RESPONSE_HEADERS`) and nothing else, one row per
  response in the detail's ``volume_of_respondents``, oldest client time first, read a few
  thousand rows at a time (a server-side cursor on PostgreSQL);
* ``a11-FY2027Q1-collection.csv``: one row per detail with Touchpoints' field names and
  vocabularies (:data:`COLLECTION_COLUMNS`): what to enter as the quarter's collection details;
* ``a11-FY2027Q1-worksheet.csv``: everything else, per detail (its file, counters, suspects, spam,
  answers left out, question versions, problems) and per location left out, with the reason.

All are UTF-8 without a byte-order mark (Touchpoints compares the header strings of the raw bytes)
with CRLF line ends; a comment that a spreadsheet would run as a formula gets a leading quote.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import Text, and_, cast, or_, select

from feedback.database import DbSession
from feedback.models import Response
from feedback.scales import polarity
from feedback.services.a11 import counted
from feedback.services.a11_details import NOT_A11, OTHER_SCALE, VOLUME_FIELDS, Detail, Report
from feedback.services.exports import YIELD_PER, csv_chunks, csv_text, safe_cell
from feedback.services.responses_query import utc_bounds
from feedback.touchpoints import RESPONSE_HEADERS, driver_cells, question_1

COLLECTION_COLUMNS = (
    "cx_collection_fiscal_year",
    "cx_collection_quarter",
    "cx_collection_service_provider_name",
    "service_name",
    "transaction_point",
    "channel",
    *VOLUME_FIELDS,
    "volume_of_respondents",
    "omb_control_number",
    "federal_register_url",
    "survey_type",
    "survey_title",
    "trust_question_text",
)
WORKSHEET_COLUMNS = (
    "cx_collection_service_provider_name",
    "service_name",
    "transaction_point",
    "channel",
    "upload_file",
    "locations",
    "volume_of_respondents",
    "question_1_counts",
    "suspect_respondents",
    "spam_respondents",
    "left_out_not_a11_survey",
    "left_out_other_scale",
    "survey_versions",
    "problems",
)


def collection_name(report: Report) -> str:
    return f"a11-{report.quarter}-collection.csv"


def worksheet_name(report: Report) -> str:
    return f"a11-{report.quarter}-worksheet.csv"


# --- per-response uploads ----------------------------------------------------------------------


def response_rows(session: DbSession, detail: Detail, *, yield_per: int = YIELD_PER) -> Iterator[tuple[str, ...]]:
    """The detail's upload rows in the order of :data:`RESPONSE_HEADERS`, all text: its counted
    answers to the versions in ``detail.version_ids`` (the reported scale), oldest first (then id)."""
    if not detail.version_ids:
        return
    # One index range (location_id, client_time) per counter: an OR of such terms is read range by
    # range on both databases, where a zone window AND a counter list made SQLite scan the table.
    places = []
    for pair in detail.pairs:
        lo, hi = utc_bounds(pair.location.office.tz, detail.quarter.start, detail.quarter.end)
        places.append(
            and_(
                Response.location_id == pair.location.id,
                Response.client_time >= lo,
                Response.client_time < hi,
                Response.channel == pair.channel,
            )
        )
    query = (
        select(
            Response.id,
            Response.survey_version_id,
            Response.rating,
            cast(Response.followup_chosen, Text),
            Response.comment,
        )
        # "+ 0": the version is a filter, not a way in; its index would read every answer of those
        # versions, of every quarter (SQLite took it).
        .where(or_(*places), counted(), (Response.survey_version_id + 0).in_(detail.version_ids))
        .order_by(Response.client_time, Response.id)
    )
    versions = {vid: detail.versions[vid] for vid in detail.version_ids}
    offered = {vid: frozenset(v.followup_choices or ()) for vid, v in versions.items()}
    drivers: dict[tuple, tuple[str, ...]] = {}  # few distinct keys: built once each
    result = session.connection().execute(query, execution_options={"yield_per": yield_per})
    try:
        for ident, version_id, rating, chosen_raw, comment in result:
            scale = versions[version_id].scale
            key = (version_id, polarity(versions[version_id].scale_def, rating), chosen_raw)
            cells = drivers.get(key)
            if cells is None:
                chosen = frozenset(json.loads(chosen_raw) or ()) if chosen_raw else frozenset()
                cells = driver_cells(offered[version_id], key[1], chosen)
                if len(drivers) < 4096:
                    drivers[key] = cells
            yield (str(ident), question_1(scale, rating), *cells, safe_cell(comment) if comment else "")
    finally:
        result.close()  # also when a download is cut short: frees the server-side cursor


def response_chunks(session: DbSession, detail: Detail) -> Iterator[str]:
    """The detail's upload as CSV text in chunks; the first chunk is the header alone."""
    return csv_chunks(RESPONSE_HEADERS, response_rows(session, detail), bom=False, guard=False)


# --- collection and worksheet ------------------------------------------------------------------


def collection_rows(report: Report) -> Iterator[tuple]:
    for d in report.details:
        version = d.version
        yield (
            str(d.quarter.fiscal_year),
            str(d.quarter.quarter),
            d.key.service_provider or None,
            d.key.service or None,
            d.key.transaction_point,
            d.key.channel,
            *(d.volume(name) for name in VOLUME_FIELDS),
            d.respondents,
            version.omb_control_number if version else None,
            version.federal_register_url if version else None,
            d.survey_type,
            d.survey_title,
            version.question.get("en") if version else None,
        )


def collection_csv(report: Report) -> str:
    return csv_text(COLLECTION_COLUMNS, collection_rows(report), bom=False)


def q1_counts(detail: Detail) -> str:
    """``1=0; 2=1; ...`` (5-point) or ``0=2; 1=5`` (thumbs), in the upload's ``question_1`` values."""
    version = detail.version
    if version is None:  # no survey, so no scale
        return ""
    points = version.scale_def.points
    return "; ".join(f"{question_1(version.scale, k)}={detail.q1.get(k, 0)}" for k in range(1, points + 1))


def worksheet_rows(report: Report) -> Iterator[tuple]:
    for d in report.details:
        yield (
            d.key.service_provider or None,
            d.key.service or None,
            d.key.transaction_point,
            d.key.channel,
            d.file_name,
            d.locations,
            d.respondents,
            q1_counts(d),
            d.suspects,
            d.spam,
            d.left_out[NOT_A11],
            d.left_out[OTHER_SCALE],
            "; ".join(d.version_names()),
            " | ".join(d.problems()),
        )
    for item in report.left_out:
        pair = item.pair
        yield (
            pair.location.office.service_provider,
            pair.location.effective_service_provided,
            None,
            pair.location.a11_channel(pair.channel),
            None,
            pair.label,
            0,
            None,
            pair.suspects,
            pair.spam,
            pair.answers,
            0,
            None,
            f"Not reported: {item.reason}",
        )


def worksheet_csv(report: Report) -> str:
    return csv_text(WORKSHEET_COLUMNS, worksheet_rows(report), bom=False)


# --- the whole quarter -------------------------------------------------------------------------


def begin_snapshot(session: DbSession) -> None:
    """Read the whole quarter from one snapshot, so each upload holds exactly the rows the
    collection counts even while late offline batches or spam marks are committed.

    PostgreSQL: the transaction the request's earlier reads began (nothing is pending) is ended and
    a REPEATABLE READ one begun; the pool resets the level when the connection is returned.
    SQLite: the read transaction (an explicit BEGIN, feedback/database.py) already holds one WAL
    snapshot until it ends.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.commit()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def files(session: DbSession, report: Report) -> Iterator[tuple[str, int, Iterable[str]]]:
    """(file name, data rows, its text in chunks) for the collection, the worksheet and each upload."""
    yield collection_name(report), len(report.details), [collection_csv(report)]
    yield worksheet_name(report), len(report.details) + len(report.left_out), [worksheet_csv(report)]
    for detail in report.details:
        yield detail.file_name, detail.respondents, response_chunks(session, detail)


class _Sink:
    """A write-only stream for zipfile: collects the bytes written since the last take()."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # zipfile closes only a file it opened itself

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zip_chunks(session: DbSession, report: Report) -> Iterator[bytes]:
    """Every file of the quarter in one zip, made while it is sent (memory stays small: zipfile
    writes to a stream that cannot seek with data descriptors)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, _rows, chunks in files(session, report):
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk.encode("utf-8"))
                    data = sink.take()
                    if data:
                        yield data
            yield sink.take()
    yield sink.take()


def write_folder(session: DbSession, report: Report, folder: Path) -> list[tuple[Path, int]]:
    """Write every file of the quarter into ``folder``; returns (path, data rows) of each."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows, chunks in files(session, report):
        path = folder / name
        with open(path, "w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        written.append((path, rows))
    return written


def file_of(report: Report, name: str) -> Detail | None:
    """The detail whose upload file is called ``name`` (None when there is none)."""
    return next((d for d in report.details if d.file_name == name), None)
