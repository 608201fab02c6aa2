"""The public scoreboards as open data: each publishing office's figures per counter and fiscal
quarter (CSV and JSON), and a DCAT-US v1.1 catalog (``data.json``) that lists them for data.gov.

Only what the scoreboard page publishes: the same offices (``Office.scoreboard_public``), the same
active counters and office total, the same rounding (whole percents), and the same withholding
rule (:func:`feedback.services.standards.withheld`): below ``min_responses`` a row keeps its
response count but has no share, range or result, only ``withheld`` and its reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback import numbers
from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services import standards
from feedback.services.fiscal import FiscalQuarter
from feedback.services.standards import Standing

SCHEMA_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
SCHEMA_VERSION = "https://project-open-data.cio.gov/v1.1/schema"
SCHEMA_CATALOG = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
CSV_TYPE = "text/csv"
JSON_TYPE = "application/json"
# The scoreboard's words for stats.verdict, as stable codes for machines.
RESULTS = {"met": "meets_target", "not_met": "below_target", "too_few": "too_close_to_tell", "no_target": "no_target"}
PLACES = 0  # the scoreboard shows whole percents; the feed publishes no finer figure


@dataclass(frozen=True)
class Row:
    """One counter's (``level`` "counter") or the office's ("office") figures for one quarter."""

    office_slug: str
    office_name: str
    level: str
    counter_code: str | None
    counter_name: str
    fiscal_quarter: str
    quarter_start: str
    quarter_end: str
    quarter_state: str  # "past", or "current" while the quarter runs
    responses: int
    satisfied_percent: int | None
    likely_low_percent: int | None
    likely_high_percent: int | None
    target_percent: int | float | None
    result: str | None
    withheld: bool
    withheld_reason: str | None  # "no_responses" | "too_few_responses"


FIELDS = tuple(f.name for f in fields(Row))


@dataclass(frozen=True)
class Feed:
    office: Office
    generated_at: datetime
    min_responses: int
    quarters: list[FiscalQuarter]  # oldest first
    rows: list[Row]


@dataclass(frozen=True)
class Links:
    """Absolute URLs of one office's scoreboard page and feeds (the view makes them)."""

    page: str
    csv: str
    json: str


@dataclass(frozen=True)
class CatalogSettings:
    publisher: str
    contact_name: str
    contact_email: str
    bureau_code: str
    program_code: str
    license: str


def publishing_offices(session: DbSession) -> list[Office]:
    """Offices that publish their scoreboard, by name, with their locations loaded."""
    query = (
        select(Office)
        .where(Office.scoreboard_public.is_(True))
        .options(selectinload(Office.locations))
        .order_by(Office.name)
    )
    return list(session.scalars(query))


def quarters_for(office: Office, now: datetime, count: int) -> list[FiscalQuarter]:
    """The office's current quarter (local time) and the ``count - 1`` before it, oldest first."""
    current = FiscalQuarter.of(standards.local_today(office, now))
    return list(reversed(standards.recent_quarters(current, max(1, count))))


def _whole(share: float | None) -> int | None:
    value = numbers.percent(share, PLACES)
    return None if value is None else int(value)


def _target(share: float | None) -> int | float | None:
    """A target as published on the scoreboard: 85.5 % stays 85.5, 80 % is 80."""
    if share is None:
        return None
    value = numbers.half_up(share, 6).scaleb(2).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _row(office: Office, location: Location | None, standing: Standing, min_responses: int) -> Row:
    why = standards.withheld(standing.responses, min_responses)
    interval = standing.interval
    shown = why is None
    quarter = standing.quarter
    return Row(
        office_slug=office.slug,
        office_name=office.name,
        level="counter" if location else "office",
        counter_code=location.code if location else None,
        counter_name=location.name if location else "All counters",
        fiscal_quarter=str(quarter),
        quarter_start=quarter.start.isoformat(),
        quarter_end=quarter.end.isoformat(),
        quarter_state=standing.state,
        responses=standing.responses,
        satisfied_percent=_whole(standing.csat) if shown else None,
        likely_low_percent=_whole(interval.low) if shown and interval else None,
        likely_high_percent=_whole(interval.high) if shown and interval else None,
        target_percent=_target(standing.target),
        result=RESULTS.get(standing.verdict) if shown else None,
        withheld=not shown,
        withheld_reason=why,
    )


def feed(session: DbSession, office: Office, *, now: datetime, min_responses: int, quarters: int) -> Feed:
    """The office's published figures for its last ``quarters`` quarters, counters by code, then
    the office total, quarter by quarter (one read of the rollups, like the scoreboard)."""
    spans = quarters_for(office, now, quarters)
    active = [loc for loc in office.locations if loc.active]
    report = standards.report(session, active, spans, now=now)
    rows: list[Row] = []
    if report:
        board = report[0]
        for quarter in spans:
            rows.extend(_row(office, r.location, r.standings[quarter], min_responses) for r in board.locations)
            rows.append(_row(office, None, board.total[quarter], min_responses))
    return Feed(office, now, min_responses, spans, rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(data: Feed) -> str:
    """One header row (``FIELDS``), then one line per row; empty cells for null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in data.rows:
        writer.writerow([_cell(getattr(row, name)) for name in FIELDS])
    return out.getvalue()


def to_json(data: Feed) -> dict[str, Any]:
    """The JSON feed: the office, when, the withholding threshold, the quarters, and the rows."""
    office = data.office
    return {
        "office": {"slug": office.slug, "name": office.name, "timezone": office.timezone},
        "generated_at": data.generated_at.isoformat(timespec="seconds"),
        "min_responses": data.min_responses,
        "quarters": [str(q) for q in data.quarters],
        "fields": list(FIELDS),
        "rows": [asdict(row) for row in data.rows],
    }


def _dataset(
    office: Office,
    links: Links,
    settings: CatalogSettings,
    spans: Sequence[FiscalQuarter],
    now: datetime,
    min_responses: int,
) -> dict[str, Any]:
    name = office.name
    described = (
        f"The share of visitors satisfied with the service at each counter of {name}, and at the office as a "
        f"whole, per federal fiscal quarter: responses counted, the satisfied share with its 95% likely range, "
        f"the published target and whether it is met. A share is withheld (empty, with withheld=true) where a "
        f"counter has fewer than {min_responses} responses in the quarter. No comments and nothing about a "
        f"single visitor are published."
    )
    distribution = [
        {
            "@type": "dcat:Distribution",
            "title": f"{name}: satisfaction by counter and quarter ({label})",
            "description": f"The scoreboard's figures as {label}, one row per counter and fiscal quarter.",
            "downloadURL": url,
            "mediaType": media,
            "format": label,
        }
        for label, media, url in (("CSV", CSV_TYPE, links.csv), ("JSON", JSON_TYPE, links.json))
    ]
    return {
        "@type": "dcat:Dataset",
        "title": f"Customer satisfaction at {name}, by counter and fiscal quarter",
        "description": described,
        "keyword": ["customer experience", "customer satisfaction", "service standards", "A-11 Section 280", name],
        "modified": standards.local_today(office, now).isoformat(),
        "publisher": {"@type": "org:Organization", "name": settings.publisher},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": settings.contact_name,
            "hasEmail": f"mailto:{settings.contact_email}",
        },
        "identifier": links.page,
        "accessLevel": "public",
        "bureauCode": [settings.bureau_code],
        "programCode": [settings.program_code],
        "license": settings.license,
        "landingPage": links.page,
        "language": ["en-US"],
        "temporal": f"{spans[0].start.isoformat()}/{spans[-1].end.isoformat()}",
        "accrualPeriodicity": "R/P3M",
        "distribution": distribution,
    }


def catalog(
    offices: Sequence[tuple[Office, Links]],
    settings: CatalogSettings,
    *,
    catalog_url: str,
    now: datetime,
    min_responses: int,
    quarters: int,
) -> dict[str, Any]:
    """The DCAT-US v1.1 catalog (``data.json``): one dataset per publishing office, with its CSV
    and JSON feeds as distributions. Reads no scores, so a harvester's visit costs no rollup read."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@id": catalog_url,
        "@type": "dcat:Catalog",
        "conformsTo": SCHEMA_VERSION,
        "describedBy": SCHEMA_CATALOG,
        "dataset": [
            _dataset(office, links, settings, quarters_for(office, now, quarters), now, min_responses)
            for office, links in offices
        ],
    }
