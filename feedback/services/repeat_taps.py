"""A kiosk's repeat taps: which taps are suspect, and the stored neighbours a new tap re-flags."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, select, update

from feedback.database import DbSession
from feedback.models import Response, SurveyVersion
from feedback.services import rollups


@dataclass(frozen=True, order=True)
class Tap:
    """One kiosk tap, ordered by client time, then id (so two taps in the same instant have an order)."""

    client_time: datetime
    id: uuid.UUID


def repeat_taps(taps: list[Tap], window: timedelta) -> dict[uuid.UUID, bool]:
    """Which taps of one device are repeats: the later tap of any pair less than ``window`` apart.

    A tap is a repeat when the device's previous tap (in client time, then id) is less than
    ``window`` before it; so of two taps one second apart the later one is the repeat, whatever
    order they arrived in (an offline queue may deliver the earlier one last), and of 0 s, 1.5 s,
    3 s all but the first are. The flag depends only on the set of taps, never on arrival order.
    """
    flags: dict[uuid.UUID, bool] = {}
    previous: Tap | None = None
    for tap in sorted(taps):
        flags[tap.id] = previous is not None and tap.client_time - previous.client_time < window
        previous = tap
    return flags


def changed_neighbours(
    neighbours: Sequence[Row[Any]], new_taps: list[Tap], flags: dict[uuid.UUID, bool], window: timedelta
) -> list[Row[Any]]:
    """Stored taps whose flag the new taps change: those less than ``window`` after (or at) a new tap.

    Their look-back window lies inside the neighbours read (new tap times +/- ``window``), so their
    recomputed flag is exact. Adding taps only turns flags on, except for a pair stored under the
    old arrival-order rule, which the recomputation puts right.
    """
    times = sorted(tap.client_time for tap in new_taps)
    out = []
    for row in neighbours:
        k = bisect_right(times, row.client_time)
        if k and row.client_time - times[k - 1] < window and flags[row.id] != bool(row.suspect):
            out.append(row)
    return out


def reflag(session: DbSession, rows: Sequence[Row[Any]], flags: dict[uuid.UUID, bool]) -> None:
    """Store the new flag of stored taps and move each between the suspect=false/true buckets of
    the rollups, in the caller's transaction. Only rows the rollups already count move: a pending
    row (``services/fold.py``) is counted by the fold with its new flag, and spam is in no bucket.
    ``pending`` and the comment state are read back from the UPDATE itself, under the row's lock,
    so a fold or a spam mark committing meanwhile is seen."""
    if not rows:
        return
    table = cast(Table, Response.__table__)
    counted: set[uuid.UUID] = set()
    for flag in (True, False):
        ids = [row.id for row in rows if flags[row.id] is flag]
        if ids:
            changed = session.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(suspect=flag)
                .returning(table.c.id, table.c.pending, table.c.comment_state)
            )
            counted |= {r.id for r in changed if not r.pending and r.comment_state != "spam"}
    moved = [row for row in rows if row.id in counted]
    if not moved:
        return
    zones = rollups.zones_for_write(session, {row.location_id for row in moved})  # a zone change waits
    scales = dict(
        session.execute(
            select(SurveyVersion.id, SurveyVersion.scale).where(
                SurveyVersion.id.in_({row.survey_version_id for row in moved})
            )
        ).all()
    )

    def facts(suspect_of: Callable[[Row[Any]], bool]) -> list[rollups.Fact]:
        return [
            rollups.Fact.of(row, zones[row.location_id], scales[row.survey_version_id], suspect=suspect_of(row))
            for row in moved
        ]

    rollups.apply(session, facts(lambda row: bool(row.suspect)), sign=-1)
    rollups.apply(session, facts(lambda row: flags[row.id]), sign=1)
