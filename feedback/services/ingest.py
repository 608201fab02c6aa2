"""Store kiosk responses exactly once.

The client makes each response's UUID, so a retry is recognised: the same id
with the same body is a replay (answered with the stored record, even if the
survey or the clock has moved on since), the same id with another body is a
conflict. A batch is validated as a whole before anything is written, and
written in one transaction, so it is stored entirely or not at all. The request
writes the response rows only, marked pending; the fold (``services/fold.py``)
adds them to the rollups after the answer and announces them to the alert rules.
After the commit, ingest only says that rows wait (``announce.responses_pending``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select
from sqlalchemy.exc import DBAPIError

from feedback.database import DbSession, lost_a_race, write_transaction
from feedback.models import Device, Location, Response, SurveyVersion
from feedback.services import rollups
from feedback.services.announce import LocationRef, StoredResponse, responses_pending
from feedback.services.errors import Conflict
from feedback.services.ingest_rules import (
    DEFAULT_POLICY,
    Errors,
    IngestPolicy,
    Item,
    add_error,
    check_repeats_within,
    check_rules,
    resolve_versions,
)
from feedback.services.repeat_taps import Tap, changed_neighbours, reflag, repeat_taps
from feedback.services.tap_cache import KioskRef, TapLocation

__all__ = [
    "IngestPolicy",
    "ItemResult",
    "Source",
    "ingest",
    "ingest_phone",
    "insert_pending",
    "payload_hash",
    "store_rows",
]


@dataclass
class ItemResult:
    response: StoredResponse
    created: bool

    @property
    def status(self) -> int:
        return 201 if self.created else 200


def payload_hash(item: Item) -> str:
    """Hash of the submitted body in a canonical form (key order and time offset do not matter)."""
    canonical = {
        "id": str(item["id"]),
        "rating": item["rating"],
        "language": item["language"],
        "client_time": item["client_time"].astimezone(UTC).isoformat(timespec="microseconds"),
        "survey_version": item.get("survey_version"),
        "followup_offered": sorted(item.get("followup_offered") or []),
        "followup_chosen": sorted(item.get("followup_chosen") or []),
    }
    if item.get("comment") is not None:  # only phone answers have one; kiosk hashes stay as they were
        canonical["comment"] = item["comment"]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Source:
    """Where responses come from: a kiosk (device, repeat taps by time) or a phone (repeat by cookie)."""

    location: Location | TapLocation
    channel: str
    device: Device | KioskRef | None = None
    repeat: bool = False  # phone only: this visitor already answered here within the window


def ingest(
    session: DbSession,
    device: Device | KioskRef,
    items: list[Item],
    *,
    now: datetime,
    policy: IngestPolicy = DEFAULT_POLICY,
    batch: bool = True,
) -> list[ItemResult]:
    """Validate and store ``items`` (loaded by ``ResponseInSchema``) from ``device``.

    Returns one result per item, in order. Raises :class:`InvalidInput` or
    :class:`Conflict` with nothing stored. Errors are keyed by item index when
    ``batch`` is true, by field otherwise.
    """
    location = device.location if isinstance(device, KioskRef) else session.get_one(Location, device.location_id)
    source = Source(location, "kiosk", device)
    return _ingest(session, source, items, policy=policy, now=now, batch=batch)


def ingest_phone(
    session: DbSession,
    location: Location,
    item: Item,
    *,
    repeat: bool,
    now: datetime,
    policy: IngestPolicy = DEFAULT_POLICY,
) -> ItemResult:
    """Store one answer from the phone survey (channel ``qr``); ``item["comment"]`` must be scrubbed."""
    [result] = _ingest(session, Source(location, "qr", None, repeat), [item], policy=policy, now=now, batch=False)
    return result


def _ingest(
    session: DbSession, source: Source, items: list[Item], *, policy: IngestPolicy, now: datetime, batch: bool
) -> list[ItemResult]:
    hashes = [payload_hash(item) for item in items]
    first_index = check_repeats_within(items, hashes, batch)

    for attempt in range(3):
        try:
            results = _store(session, source, items, hashes, first_index, now, policy, batch)
            break
        except DBAPIError as exc:
            # Another worker stored one of these ids between our check and insert (the next pass
            # sees it and answers replay or conflict), or PostgreSQL undid this transaction to
            # break a deadlock on the rollup rows: the work runs again, whole, in a new transaction.
            if attempt == 2 or not lost_a_race(exc):
                raise
    else:
        raise AssertionError("unreachable")
    # Committed: whoever folds (feedback/folding.py) is told that rows wait.
    if any(r.created for r in results):
        responses_pending(session)
    return results


def _store(
    session: DbSession,
    source: Source,
    items: list[Item],
    hashes: list[str],
    first_index: dict[int, int],
    now: datetime,
    policy: IngestPolicy,
    batch: bool,
) -> list[ItemResult]:
    location, device = source.location, source.device
    with write_transaction(session):
        # Replays and conflicts are decided first, in the transaction that writes: a replay
        # answers 200 even if the survey changed or the tap grew too old since it was stored.
        # One round trip finds both the ids already stored and the device's neighbouring taps.
        ids = list({item["id"] for item in items})
        condition: ColumnElement[bool] = Response.id.in_(ids)
        if device is not None and session.get_bind().dialect.name != "sqlite":
            # Two requests of one kiosk at once must see each other's taps for the repeat-tap
            # check: lock the device row (SQLite's BEGIN IMMEDIATE already serialises writers).
            session.execute(select(Device.id).where(Device.id == device.id).with_for_update())
        if device is not None:
            times = [item["client_time"] for item in items]
            condition = or_(
                condition,
                and_(
                    Response.device_id == device.id,
                    Response.client_time >= min(times) - policy.suspect_window,
                    Response.client_time <= max(times) + policy.suspect_window,
                ),
            )
        found = session.execute(
            select(
                Response.id,
                Response.payload_hash,
                Response.location_id,
                Response.device_id,
                Response.client_time,
                # What moving a neighbour between the suspect buckets needs (see _reflag).
                Response.suspect,
                Response.survey_version_id,
                Response.channel,
                Response.rating,
                Response.followup_offered,
                Response.followup_chosen,
                Response.comment_state,
                Response.language,
            ).where(condition)
        ).all()
        wanted = set(ids)
        stored = {row.id: row for row in found if row.id in wanted}
        conflicts: Errors = {}
        for i, item in enumerate(items):
            old = stored.get(item["id"])
            if old is not None and old.payload_hash != hashes[i]:
                add_error(batch, i, "id", "Already stored with a different body.", conflicts)
            elif old is not None and old.location_id != location.id:
                add_error(batch, i, "id", "Already stored for another location.", conflicts)
        if conflicts:
            raise Conflict("A response id is already stored with a different body.", conflicts)
        replays = {i for i, item in enumerate(items) if item["id"] in stored}
        versions = resolve_versions(session, location, items, batch, skip=replays, max_age=policy.cache_seconds)
        check_rules(items, versions, now, policy, batch, skip=replays)

        new = [i for i, item in enumerate(items) if item["id"] not in stored and i not in first_index]
        neighbours_to_reflag: list[Any] = []
        flags: dict[uuid.UUID, bool] = {}
        if device is not None:
            neighbours = [row for row in found if row.device_id == device.id]
            new_taps = [Tap(items[i]["client_time"], items[i]["id"]) for i in new]
            flags = repeat_taps([Tap(row.client_time, row.id) for row in neighbours] + new_taps, policy.suspect_window)
            suspects = [flags[tap.id] for tap in new_taps]
            neighbours_to_reflag = changed_neighbours(neighbours, new_taps, flags, policy.suspect_window)
        else:
            suspects = [source.repeat] * len(new)
        rows: list[Item] = []
        for i, suspect in zip(new, suspects, strict=True):
            item, version = items[i], versions[i]
            assert version is not None  # resolved for every item that is not a replay
            rows.append(
                {
                    "id": item["id"],
                    "location_id": location.id,
                    "survey_version_id": version.id,
                    "device_id": device.id if device is not None else None,
                    "channel": source.channel,
                    "rating": item["rating"],
                    "followup_offered": list(item.get("followup_offered") or []),
                    "followup_chosen": list(item.get("followup_chosen") or []),
                    "language": item["language"],
                    # In UTC, as it reads back from the database: a 201 and its replays answer alike.
                    "client_time": item["client_time"].astimezone(UTC),
                    "received_at": now,
                    "suspect": suspect,
                    "payload_hash": hashes[i],
                    "comment": item.get("comment"),
                    "comment_state": "open" if item.get("comment") else None,
                }
            )
        scales = {v.id: v.scale for v in versions if v is not None}
        # The rows only: the fold adds them to the rollups after the answer.
        insert_pending(session, rows)
        reflag(session, neighbours_to_reflag, flags)
        # Plain records for the answer and the announcement (building ORM objects for a 500-item
        # batch costs more than the insert); replays re-read in full (only a retried request has any).
        here = LocationRef(location.id, location.code)
        created = {row["id"]: StoredResponse.of(row, scales[row["survey_version_id"]], here) for row in rows}
        replayed = _replayed(session, stored, here) if stored else {}
    results = []
    for i, item in enumerate(items):
        if item["id"] in created and i not in first_index:
            results.append(ItemResult(created[item["id"]], True))
        else:
            results.append(ItemResult(replayed.get(item["id"]) or created[item["id"]], False))
    return results


def _replayed(session: DbSession, ids: Iterable[uuid.UUID], here: LocationRef) -> dict[uuid.UUID, StoredResponse]:
    found = session.execute(
        select(Response.__table__, SurveyVersion.scale)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(Response.id.in_(ids))
    )
    return {row.id: StoredResponse.of(row._mapping, row.scale, here) for row in found}


_RESPONSES = cast(Table, Response.__table__)
_PENDING = {"pending": True}
COPY_FROM_ROWS = 32  # from here PostgreSQL's COPY beats executemany (1.85x for 500 rows, issue 14)


def insert_pending(session: DbSession, rows: Sequence[Item]) -> None:
    """Insert validated response rows marked pending, in the caller's transaction: one Core
    INSERT, or on PostgreSQL for a larger batch one ``COPY`` on the transaction's own connection
    (the columns' bind processing applied as for the INSERT, its errors raised as SQLAlchemy's)."""
    if not rows:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        session.execute(insert(_RESPONSES), [row | _PENDING for row in rows])
        return
    names = [*rows[0].keys(), "pending"]
    process = [_RESPONSES.c[name].type._cached_bind_processor(bind.dialect) for name in names]
    statement = f"COPY {_RESPONSES.name} ({', '.join(names)}) FROM STDIN"
    driver = session.connection().connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = [*(row[name] for name in names[:-1]), True]
                copy.write_row([p(v) if p is not None else v for p, v in zip(process, values, strict=True)])
    except bind.dialect.loaded_dbapi.Error as exc:  # e.g. a unique violation: another node stored an id
        raise DBAPIError.instance(statement, None, exc, bind.dialect.loaded_dbapi.Error) from exc


def store_rows(
    session: DbSession, rows: Sequence[Item], *, scales: Mapping[int, str], zones: Mapping[int, ZoneInfo]
) -> None:
    """Insert validated response rows and add them to the rollups, in the caller's transaction: the
    write path of bulk loaders (the demo), which count their rows at once instead of folding.

    ``scales`` maps survey version id to scale key, ``zones`` location id to ZoneInfo.
    """
    if not rows:
        return
    session.execute(insert(Response), rows)
    rollups.apply(
        session,
        (rollups.Fact.of(r, zones[r["location_id"]], scales[r["survey_version_id"]]) for r in rows),
    )
