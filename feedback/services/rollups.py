"""Keep ``response_hourly``, ``followup_daily`` and ``language_daily`` equal to the sum of the responses.

Every write path (ingest, demo loader, the comment inbox's spam marks, a repeat tap's flag
changing) calls :func:`apply` inside its own transaction with the responses it adds (+1) or takes
out (-1). Buckets are local dates and hours of the office's *current* time zone, so changing the
zone or moving a counter to another office rebuilds that office's or counter's rows in the same
transaction (:func:`rebuild` with ``location_ids``); writers read the zone through
:func:`zones_for_write`, under a lock such a change waits for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from feedback.database import DbSession, insert_for
from feedback.extensions import Model
from feedback.models import FollowupDaily, LanguageDaily, Location, Office, Response, ResponseHourly, SurveyVersion
from feedback.models.rollups import RATING_COLUMNS
from feedback.scales import SCALES, polarity


@dataclass(frozen=True)
class Fact:
    """What the rollups need to know of one response."""

    location_id: int
    tz: ZoneInfo
    client_time: datetime
    channel: str
    scale: str
    suspect: bool
    rating: int
    language: str
    followup_offered: tuple[str, ...] = ()
    followup_chosen: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Any, zone: ZoneInfo, scale: str, *, suspect: bool | None = None) -> Fact:
        """The fact of one response: ``row`` is a Response, a result row with its columns or an
        inserted row's dict; ``suspect`` overrides the row's flag (a repeat tap's flag changing)."""
        value = row.__getitem__ if isinstance(row, Mapping) else partial(getattr, row)
        return cls(
            value("location_id"),
            zone,
            value("client_time"),
            value("channel"),
            scale,
            bool(value("suspect")) if suspect is None else suspect,
            value("rating"),
            value("language"),
            tuple(value("followup_offered") or ()),
            tuple(value("followup_chosen") or ()),
        )


@lru_cache(maxsize=8)
def _upsert_statement(
    dialect: str, model: type[Model], key_cols: tuple[str, ...], add_cols: tuple[str, ...]
) -> sqlite.Insert | postgresql.Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET col = col + excluded.col``, built once per dialect."""
    stmt = insert_for(dialect, model)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={col: getattr(model, col) + getattr(stmt.excluded, col) for col in add_cols},
    )


def _upsert(
    session: DbSession, model: type[Model], rows: list[dict], key_cols: tuple[str, ...], add_cols: tuple[str, ...]
) -> None:
    if not rows:
        return
    stmt = _upsert_statement(session.get_bind().dialect.name, model, key_cols, add_cols)
    # Sorted so concurrent writers lock rollup rows in the same order (no deadlocks).
    rows.sort(key=lambda r: tuple(r[c] for c in key_cols))
    session.execute(stmt, rows)


HOURLY_KEY = ("location_id", "local_date", "local_hour", "channel", "scale", "suspect")
HOURLY_ADD = ("n", "rating_sum", *RATING_COLUMNS)
FOLLOWUP_KEY = ("location_id", "local_date", "channel", "suspect", "polarity", "choice")
FOLLOWUP_ADD = ("offered", "chosen")
LANGUAGE_KEY = ("location_id", "local_date", "channel", "suspect", "language")


def apply(session: DbSession, facts: Iterable[Fact], sign: int = 1) -> None:
    """Add (``sign=1``) or remove (``sign=-1``) responses from the rollups."""
    hourly: dict[tuple, dict] = {}
    followups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    languages: dict[tuple, int] = defaultdict(int)
    for fact in facts:
        local = fact.client_time.astimezone(fact.tz)
        day: date = local.date()
        key = (fact.location_id, day, local.hour, fact.channel, fact.scale, fact.suspect)
        row = hourly.get(key)
        if row is None:
            row = dict(zip(HOURLY_KEY, key, strict=True), weekday=day.weekday(), **dict.fromkeys(HOURLY_ADD, 0))
            hourly[key] = row
        row["n"] += sign
        row["rating_sum"] += sign * fact.rating
        row[RATING_COLUMNS[fact.rating - 1]] += sign
        languages[(fact.location_id, day, fact.channel, fact.suspect, fact.language)] += sign
        side = polarity(SCALES[fact.scale], fact.rating)
        chosen = set(fact.followup_chosen)
        for choice in fact.followup_offered:
            counts = followups[(fact.location_id, day, fact.channel, fact.suspect, side, choice)]
            counts[0] += sign
            counts[1] += sign * (choice in chosen)
    _upsert(session, ResponseHourly, list(hourly.values()), HOURLY_KEY, HOURLY_ADD)
    _upsert(
        session,
        FollowupDaily,
        [dict(zip(FOLLOWUP_KEY, key, strict=True), offered=o, chosen=c) for key, (o, c) in followups.items()],
        FOLLOWUP_KEY,
        FOLLOWUP_ADD,
    )
    _upsert(
        session,
        LanguageDaily,
        [dict(zip(LANGUAGE_KEY, key, strict=True), n=n) for key, n in languages.items()],
        LANGUAGE_KEY,
        ("n",),
    )


def zones_for_write(session: DbSession, location_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """Each location's office time zone, read under a shared lock (PostgreSQL ``FOR SHARE`` on the
    location and office rows; SQLite's ``BEGIN IMMEDIATE`` already serialises writers).

    Every writer that adds to or takes from the rollups reads the zone here, in its transaction,
    before it touches them. A time zone change or a counter move updates those rows, so it waits
    for the writers in flight and they wait for it: no response is bucketed in a zone the
    rebuild (:func:`rebuild`) has already replaced.
    """
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Location.id, Office.timezone)
        .join(Office, Office.id == Location.office_id)
        .where(Location.id.in_(ids))
        .order_by(Location.id)
        .with_for_update(read=True)
    )
    return {loc_id: ZoneInfo(tz) for loc_id, tz in rows}


def rebuild(session: DbSession, chunk: int = 5000, *, location_ids: Iterable[int] | None = None) -> int:
    """Recompute the rollups from ``responses`` but spam, in the caller's transaction (the caller
    commits); returns the responses read.

    With ``location_ids`` only those locations' rows are replaced: what a time zone change or a
    counter move needs (``services.offices``, ``services.locations``), since local dates and hours move with the zone.
    Without, every row (``flask rollups rebuild``, a repair tool). The locations are locked first,
    so no fold or spam mark of theirs runs meanwhile; a tap's new row stays pending for the next fold.
    The old rows are deleted before the responses are read, so a writer that commits in between
    holding no location lock (a demo load) is either deleted and read again, or waits for the
    deleted rows and adds after.
    """
    hourly, followup, language = delete(ResponseHourly), delete(FollowupDaily), delete(LanguageDaily)
    scope = []
    locked = select(Location.id).order_by(Location.id).with_for_update()
    if location_ids is not None:
        ids = sorted(set(location_ids))
        if not ids:
            return 0
        hourly = hourly.where(ResponseHourly.location_id.in_(ids))
        followup = followup.where(FollowupDaily.location_id.in_(ids))
        language = language.where(LanguageDaily.location_id.in_(ids))
        scope.append(Response.location_id.in_(ids))
        locked = locked.where(Location.id.in_(ids))
    # The locations, exclusively: a fold (services/fold.py) takes them shared before it takes any
    # pending row, so none runs here meanwhile. Rows still pending are counted by this rebuild.
    session.execute(locked)
    table = cast(Table, Response.__table__)
    session.execute(update(table).where(table.c.pending, *scope).values(pending=False))
    session.execute(hourly)
    session.execute(followup)
    session.execute(language)
    zones = {
        loc_id: ZoneInfo(tz)
        for loc_id, tz in session.execute(select(Location.id, Office.timezone).join(Location.office))
    }
    scales = dict(session.execute(select(SurveyVersion.id, SurveyVersion.scale)).all())
    query = (
        select(
            Response.location_id,
            Response.client_time,
            Response.channel,
            Response.survey_version_id,
            Response.suspect,
            Response.rating,
            Response.language,
            Response.followup_offered,
            Response.followup_chosen,
        )
        .where(
            Response.comment_state.is_distinct_from("spam"),  # spam counts nowhere (services/comments.py)
            ~Response.pending,  # a tap stored since the lock: the next fold counts it
            *scope,
        )
        .execution_options(yield_per=chunk)
    )
    total = 0
    for part in session.execute(query).partitions():
        apply(
            session,
            (Fact.of(r, zones[r.location_id], scales[r.survey_version_id]) for r in part),
        )
        total += len(part)
    return total
