"""Add the responses a tap stored to the rollups, after the tap has been answered.

A tap's request inserts its response row only, marked ``pending`` (``services/ingest.py``): one
short transaction and no rollup row, so taps of one location never queue on the same hot rollup
row and a 2xx costs little more than the durable insert. The fold adds pending rows to
``response_hourly`` and ``followup_daily`` and clears the mark, in one transaction, then announces
them (the alert rules listen: ``announce.responses_stored``). Who folds (``feedback/folding.py``):
a background thread in each process, woken by taps; every reader of the rollups before it reads
(:func:`catch_up`, called by ``tally.read``), so figures are exact; ``flask rollups fold`` and the
scheduler, which pick up anything a dead process left.

Rules that keep the rollups equal to the responses:
- a response is counted once: the fold locks the pending rows it takes (PostgreSQL ``FOR UPDATE``;
  SQLite's ``BEGIN IMMEDIATE`` serialises every writer), and a second fold waiting on them finds
  them no longer pending;
- writers that change a stored response's counted parts (a spam mark, a repeat tap's flag, a phone
  follow-up) read ``pending`` under the row's lock, and move it between rollup buckets only when
  it is not pending: a pending row is counted by the fold as it is then;
- the fold reads each office's zone through ``rollups.zones_for_write`` (a zone change waits), and
  ``rollups.rebuild`` takes pending rows of what it rebuilds as counted by the rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from sqlalchemy import ColumnElement, Table, exists, select, update
from sqlalchemy.exc import DBAPIError

from feedback.database import DbSession, lost_a_race, write_transaction
from feedback.models import Location, Response, SurveyVersion
from feedback.services import rollups
from feedback.services.announce import LocationRef, StoredResponse, responses_stored

CHUNK = 2000  # rows per fold transaction: bounds its locks and memory after a long outage
_announcing: ContextVar[bool] = ContextVar("fold_announcing", default=False)


def has_pending(session: DbSession, location_ids: Iterable[int] | None = None) -> bool:
    """Whether a response (of ``location_ids``, or any) waits to be folded; reads the small partial
    index ``ix_responses_pending``."""
    conditions: list[ColumnElement[bool]] = [Response.pending.expression]
    if location_ids is not None:
        ids = sorted(set(location_ids))
        if not ids:
            return False
        conditions.append(Response.location_id.in_(ids))
    return bool(session.scalar(select(exists().where(*conditions))))


def catch_up(session: DbSession, location_ids: Iterable[int]) -> int:
    """Fold before reading the rollups of ``location_ids``, so a page counts every response answered
    2xx before it asked. Nothing while the fold's own listeners read (they run after a fold)."""
    if _announcing.get() or not has_pending(session, location_ids):
        return 0
    return fold(session)


def fold(session: DbSession, *, chunk: int = CHUNK) -> int:
    """Fold every response pending now, ``chunk`` rows per transaction; returns how many. Each
    transaction's responses are announced after its commit, as of the newest one's arrival."""
    total = 0
    while True:
        stored = _fold_retrying(session, chunk)
        if stored:
            token = _announcing.set(True)
            try:
                responses_stored(session, stored, max(r.received_at for r in stored))
            finally:
                _announcing.reset(token)
        total += len(stored)
        if len(stored) < chunk:
            return total


def _fold_retrying(session: DbSession, chunk: int) -> list[StoredResponse]:
    for attempt in range(3):
        try:
            return _fold_once(session, chunk)
        except DBAPIError as exc:  # a deadlock with a writer moving a row (PostgreSQL undid us)
            if attempt == 2 or not lost_a_race(exc):
                raise
    raise AssertionError("unreachable")


def _fold_once(session: DbSession, chunk: int) -> list[StoredResponse]:
    table = Response.__table__
    assert isinstance(table, Table)
    with write_transaction(session):
        locations = list(session.scalars(select(Response.location_id).distinct().where(Response.pending)))
        if not locations:
            return []
        # Zones first (shared locks, ordered): a zone change waits for this fold, or this fold for it.
        zones = rollups.zones_for_write(session, locations)
        rows = session.execute(
            select(table, SurveyVersion.scale, Location.code)
            .join(SurveyVersion, SurveyVersion.id == table.c.survey_version_id)
            .join(Location, Location.id == table.c.location_id)
            .where(table.c.pending, table.c.location_id.in_(zones))
            .order_by(table.c.id)  # one lock order for every fold
            .limit(chunk)
            .with_for_update(of=table)
        ).all()
        if not rows:
            return []
        rollups.apply(
            session,
            (
                rollups.Fact.of(row, zones[row.location_id], row.scale)
                for row in rows
                if row.comment_state != "spam"  # spam counts nowhere (services/comments.py)
            ),
        )
        session.execute(update(table).where(table.c.id.in_([row.id for row in rows])).values(pending=False))
        return [StoredResponse.of(row._mapping, row.scale, LocationRef(row.location_id, row.code)) for row in rows]
