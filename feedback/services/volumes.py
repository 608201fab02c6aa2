"""Customer volumes for the A-11 Section 280 collection (customers served, and offered the survey,
per location, quarter and channel): stored from the admin form or a CSV import, each change audited.

An empty figure is unknown (None), never 0; an import is all or nothing (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import CustomerVolume, Location
from feedback.models.responses import CHANNELS
from feedback.services import audit
from feedback.services.a11_details import VOLUME_FIELDS
from feedback.services.actors import Actor, name_of
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.fiscal import FiscalQuarter

IMPORT_COLUMNS = ("location_code", "fiscal_year", "quarter", "channel", *VOLUME_FIELDS)
MAX_VOLUME = 100_000_000  # a counter serving more in a quarter is a typing error
MAX_IMPORT_ROWS = 20_000
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Figures:
    """The two volumes of one location, quarter and channel (None = not known)."""

    volume_of_customers: int | None = None
    volume_of_customers_provided_survey_opportunity: int | None = None

    def errors(self) -> dict[str, list[str]]:
        """Rule breaks, keyed by field: whole numbers 0..MAX_VOLUME, offered <= served."""
        errors: dict[str, list[str]] = {}
        for name in VOLUME_FIELDS:
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and 0 <= value <= MAX_VOLUME):
                errors[name] = [gettext("A whole number from 0 to %(max)s.", max=f"{MAX_VOLUME:,}")]
        served, offered = self.volume_of_customers, self.volume_of_customers_provided_survey_opportunity
        if not errors and served is not None and offered is not None and offered > served:
            errors["volume_of_customers_provided_survey_opportunity"] = [
                gettext("Cannot be more than the customers served.")
            ]
        return errors


@dataclass(frozen=True)
class Entry:
    """Figures to store for one location (id), quarter and channel."""

    location_id: int
    quarter: FiscalQuarter
    channel: str
    figures: Figures


def for_quarter(
    session: DbSession, location_ids: Iterable[int], quarter: FiscalQuarter
) -> dict[tuple[int, str], CustomerVolume]:
    """Stored volumes of the quarter by (location id, channel)."""
    ids = list(location_ids)
    if not ids:
        return {}
    return {
        (v.location_id, v.channel): v
        for v in session.scalars(
            select(CustomerVolume).where(
                CustomerVolume.location_id.in_(ids),
                CustomerVolume.fiscal_year == quarter.fiscal_year,
                CustomerVolume.quarter == quarter.quarter,
            )
        )
    }


def upsert(session: DbSession, actor: Actor, entry: Entry, *, source: str = "form") -> dict:
    """Store one location's figures for a quarter and channel; returns what changed
    ({field: [old, new]}, empty when nothing did). A new row with no figure at all is not made."""
    if entry.channel not in CHANNELS:
        raise InvalidInput(
            gettext("Invalid channel."), {"channel": [gettext("One of %(choices)s.", choices=", ".join(CHANNELS))]}
        )
    errors = entry.figures.errors()
    if errors:
        raise InvalidInput(gettext("Invalid customer volumes."), errors)
    # Read before a new row joins the session: an expired actor's reload would flush the row
    # before it has its updated_by (a NOT NULL failure, found by the property test).
    who = name_of(actor)
    location = session.get(Location, entry.location_id)
    if location is None:
        raise NotFound(gettext("No such location."))
    quarter = entry.quarter
    volume = session.scalar(
        select(CustomerVolume)
        .where(
            CustomerVolume.location_id == location.id,
            CustomerVolume.fiscal_year == quarter.fiscal_year,
            CustomerVolume.quarter == quarter.quarter,
            CustomerVolume.channel == entry.channel,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    values = {name: getattr(entry.figures, name) for name in VOLUME_FIELDS}
    created = volume is None
    if volume is None:
        if all(value is None for value in values.values()):
            return {}
        volume = CustomerVolume(
            location_id=location.id,
            fiscal_year=quarter.fiscal_year,
            quarter=quarter.quarter,
            channel=entry.channel,
            **dict.fromkeys(VOLUME_FIELDS),
        )
        session.add(volume)
    changed = audit.changes(volume, values)
    if not changed:
        return {}
    volume.updated_by = who
    session.flush()
    audit.record(
        session,
        actor,
        "volume.create" if created else "volume.update",
        "location",
        location.id,
        {"quarter": str(quarter), "channel": entry.channel, "source": source} | changed,
    )
    return changed


def save_many(session: DbSession, actor: Actor, entries: list[Entry], *, source: str = "form") -> int:
    """Store several entries (checked first, all or none); returns how many changed. Errors are
    keyed ``location_id:channel:field``."""
    errors = {}
    for entry in entries:
        for name, messages in entry.figures.errors().items():
            errors[f"{entry.location_id}:{entry.channel}:{name}"] = messages
    if errors:
        raise InvalidInput(gettext("Invalid customer volumes."), errors)
    return sum(1 for entry in entries if upsert(session, actor, entry, source=source))


# --- CSV import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int  # in the file; the header is line 1
    messages: list[str]


class ImportRejected(InvalidInput):
    """Some rows are wrong; nothing was stored."""

    def __init__(self, detail: str, rows: list[RowError]):
        super().__init__(detail, {f"line {row.line}": row.messages for row in rows})
        self.rows = rows


@dataclass(frozen=True)
class ImportResult:
    rows: int  # data rows read
    changed: int  # rows that changed a stored figure


def _whole(
    text: str,
    label: str,
    messages: list[str],
    low: int = 0,
    high: int = MAX_VOLUME,
    *,
    required: bool = False,
    grouped: bool = False,
) -> int | None:
    """A whole number cell (``1,200`` allowed when ``grouped``); None when empty or wrong (then a message)."""
    text = text.strip()
    if grouped:
        text = text.replace(",", "")
    if not text:
        if required:
            messages.append(gettext("%(label)s: required.", label=label))
        return None
    if not _DIGITS.fullmatch(text):
        messages.append(gettext("%(label)s: %(text)s is not a whole number.", label=label, text=repr(text)))
        return None
    value = int(text)
    if not low <= value <= high:
        messages.append(
            gettext(
                "%(label)s: %(value)s is not between %(low)s and %(high)s.",
                label=label,
                value=value,
                low=low,
                high=f"{high:,}",
            )
        )
        return None
    return value


def parse_import(session: DbSession, text: str, scope: set[int] | None) -> tuple[list[Entry], list[RowError]]:
    """Read an import file: the entries it holds and every row's errors (no writes).

    ``scope`` limits the locations a row may name (None: all, for the command line); a code
    outside it is reported exactly like an unknown one.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        return [], [RowError(1, [gettext("The file is empty.")])]
    header = [name.strip().lower() for name in header]
    absent = [name for name in IMPORT_COLUMNS if name not in header]
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    if absent or unknown or len(set(header)) != len(header):
        problems = []
        if absent:
            problems.append(gettext("Missing column(s): %(names)s.", names=", ".join(absent)))
        if unknown:
            problems.append(gettext("Unknown column(s): %(names)s.", names=", ".join(unknown)))
        if len(set(header)) != len(header):
            problems.append(gettext("A column appears twice."))
        return [], [RowError(1, [*problems, gettext("Expected: %(names)s.", names=",".join(IMPORT_COLUMNS))])]
    records = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (a trailing newline, spreadsheet padding)
        records.append((line, cells))
    if len(records) > MAX_IMPORT_ROWS:
        return [], [RowError(1, [gettext("At most %(max)s rows in one file.", max=f"{MAX_IMPORT_ROWS:,}")])]
    codes = {cells[header.index("location_code")].strip().upper() for _, cells in records if len(cells) == len(header)}
    known = (
        dict(session.execute(select(Location.code, Location.id).where(Location.code.in_(codes))).all()) if codes else {}
    )
    entries: list[Entry] = []
    errors: list[RowError] = []
    seen: dict[tuple[int | None, int | None, int | None, str], int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            errors.append(
                RowError(
                    line, [gettext("%(cells)s cells; expected %(expected)s.", cells=len(cells), expected=len(header))]
                )
            )
            continue
        raw = dict(zip(header, cells, strict=True))
        messages: list[str] = []
        code = raw["location_code"].strip().upper()
        location_id = known.get(code)
        if location_id is None or (scope is not None and location_id not in scope):
            messages.append(gettext("location_code: unknown location %(code)s.", code=code or gettext("(empty)")))
        fiscal_year = _whole(raw["fiscal_year"], "fiscal_year", messages, 2000, 2100, required=True)
        quarter_no = _whole(raw["quarter"], "quarter", messages, 1, 4, required=True)
        channel = raw["channel"].strip().lower()
        if channel not in CHANNELS:
            messages.append(
                gettext(
                    "channel: %(value)s is not one of %(choices)s.",
                    value=raw["channel"].strip() or gettext("(empty)"),
                    choices=", ".join(CHANNELS),
                )
            )
        values = {name: _whole(raw[name], name, messages, grouped=True) for name in VOLUME_FIELDS}
        figures = Figures(**values)
        if not messages:
            messages.extend(f"{name}: {' '.join(msgs)}" for name, msgs in figures.errors().items())
        if not messages:
            key = (location_id, fiscal_year, quarter_no, channel)
            if key in seen:
                messages.append(gettext("The same location, quarter and channel as line %(line)s.", line=seen[key]))
            seen.setdefault(key, line)
        if messages or location_id is None or fiscal_year is None or quarter_no is None:
            errors.append(RowError(line, messages))  # (no message means every value was read)
        else:
            entries.append(Entry(location_id, FiscalQuarter(fiscal_year, quarter_no), channel, figures))
    if not records:
        errors.append(RowError(1, [gettext("The file has a header but no rows.")]))
    return entries, errors


def import_csv(session: DbSession, actor: Actor, text: str, scope: set[int] | None) -> ImportResult:
    """Check every row, then store them all (in the caller's transaction), or raise
    :class:`ImportRejected` with every row's errors and store nothing."""
    entries, errors = parse_import(session, text, scope)
    if errors:
        raise ImportRejected(gettext("%(count)s line(s) have errors; nothing was stored.", count=len(errors)), errors)
    changed = sum(1 for entry in entries if upsert(session, actor, entry, source="import"))
    return ImportResult(len(entries), changed)


def decode_upload(data: bytes) -> str:
    """An uploaded file's text: UTF-8 (a BOM is fine); anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            gettext("The file is not UTF-8 text."), [RowError(1, [gettext("Save the file as CSV UTF-8.")])]
        ) from None
