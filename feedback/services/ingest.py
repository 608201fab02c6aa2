"""Store kiosk responses exactly once.

The client makes each response's UUID, so a retry is recognised: the same id
with the same body is a replay (answered with the stored record, even if the
survey or the clock has moved on since), the same id with another body is a
conflict. A batch is validated as a whole before anything is written, and
written in one transaction with its rollups, so it is stored entirely or not at
all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from feedback.database import DbSession, write_transaction
from feedback.models import Device, Location, Response, SurveyVersion
from feedback.services import rollups
from feedback.services.errors import Conflict, InvalidInput
from feedback.sqltypes import utcnow


@dataclass(frozen=True)
class IngestPolicy:
    suspect_window: timedelta = timedelta(seconds=2)
    max_future: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=90)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IngestPolicy:
        return cls(
            suspect_window=timedelta(seconds=config["SUSPECT_WINDOW_SECONDS"]),
            max_future=timedelta(seconds=config["CLIENT_TIME_MAX_FUTURE_SECONDS"]),
            max_age=timedelta(days=config["CLIENT_TIME_MAX_AGE_DAYS"]),
        )


@dataclass
class ItemResult:
    response: Response
    created: bool

    @property
    def status(self) -> int:
        return 201 if self.created else 200


def payload_hash(item: dict) -> str:
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

    location: Location
    channel: str
    device: Device | None = None
    repeat: bool = False  # phone only: this visitor already answered here within the window


def ingest(
    session: DbSession,
    device: Device,
    items: list[dict],
    *,
    policy: IngestPolicy = IngestPolicy(),
    now: datetime | None = None,
    batch: bool = True,
) -> list[ItemResult]:
    """Validate and store ``items`` (loaded by ``ResponseInSchema``) from ``device``.

    Returns one result per item, in order. Raises :class:`InvalidInput` or
    :class:`Conflict` with nothing stored. Errors are keyed by item index when
    ``batch`` is true, by field otherwise.
    """
    source = Source(session.get(Location, device.location_id), "kiosk", device)
    return _ingest(session, source, items, policy=policy, now=now, batch=batch)


def ingest_phone(
    session: DbSession,
    location: Location,
    item: dict,
    *,
    repeat: bool,
    policy: IngestPolicy = IngestPolicy(),
    now: datetime | None = None,
) -> ItemResult:
    """Store one answer from the phone survey (channel ``qr``); ``item["comment"]`` must be scrubbed."""
    [result] = _ingest(session, Source(location, "qr", None, repeat), [item], policy=policy, now=now, batch=False)
    return result


def _ingest(
    session: DbSession, source: Source, items: list[dict], *, policy: IngestPolicy, now: datetime | None, batch: bool
) -> list[ItemResult]:
    now = now or utcnow()
    hashes = [payload_hash(item) for item in items]
    first_index = _check_repeats_within(items, hashes, batch)

    for attempt in range(3):
        try:
            return _store(session, source, items, hashes, first_index, now, policy, batch)
        except IntegrityError:
            # Another worker stored one of these ids between our check and insert;
            # the next pass sees it and answers replay or conflict.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _errors(batch: bool, index: int, field: str, message: str, into: dict) -> None:
    target = into.setdefault(index, {}) if batch else into
    target.setdefault(field, []).append(message)


def _check_repeats_within(items: list[dict], hashes: list[str], batch: bool) -> dict[int, int]:
    """Map each repeated index to the first index with its id; refuse repeats that differ."""
    seen: dict[uuid.UUID, int] = {}
    first_index: dict[int, int] = {}
    errors: dict = {}
    for i, item in enumerate(items):
        j = seen.setdefault(item["id"], i)
        if j != i:
            if hashes[j] != hashes[i]:
                _errors(batch, i, "id", f"Repeats the id of item {j} with a different body.", errors)
            first_index[i] = j
    if errors:
        raise InvalidInput("The batch repeats an id with different bodies.", errors)
    return first_index


def _resolve_versions(
    session: DbSession, location: Location, items: list[dict], batch: bool, skip: Collection[int] = frozenset()
) -> list[SurveyVersion | None]:
    """The survey version each item answered: the one it names, or the location's current one.

    Items whose index is in ``skip`` (replays of stored responses) get None.
    """
    wanted = {
        item["survey_version"]
        for i, item in enumerate(items)
        if i not in skip and item.get("survey_version") is not None
    }
    found = (
        {
            v.id: v
            for v in session.scalars(
                select(SurveyVersion).where(SurveyVersion.id.in_(wanted), SurveyVersion.survey_id == location.survey_id)
            )
        }
        if wanted
        else {}
    )
    needs_current = any(i not in skip and item.get("survey_version") is None for i, item in enumerate(items))
    current = SurveyVersion.current_for(session, location.survey_id) if needs_current else None
    errors: dict = {}
    resolved: list[SurveyVersion | None] = []
    for i, item in enumerate(items):
        vid = item.get("survey_version")
        if i in skip:
            resolved.append(None)
        elif vid is None:
            resolved.append(current)
        elif vid in found:
            resolved.append(found[vid])
        else:
            _errors(batch, i, "survey_version", "Not a version of this location's survey.", errors)
            resolved.append(None)
    if errors:
        raise InvalidInput("The response names an unknown survey version.", errors)
    return resolved


def _check_rules(
    items: list[dict],
    versions: list[SurveyVersion | None],
    now: datetime,
    policy: IngestPolicy,
    batch: bool,
    skip: Collection[int] = frozenset(),
) -> None:
    errors: dict = {}
    for i, (item, version) in enumerate(zip(items, versions, strict=True)):
        if i in skip:
            continue
        scale = version.scale_def
        if not scale.valid(item["rating"]):
            _errors(batch, i, "rating", f"Must be between 1 and {scale.points} for this survey's scale.", errors)
        allowed = set(version.followup_choices or ())
        offered = item.get("followup_offered") or []
        chosen = item.get("followup_chosen") or []
        for choice in offered:
            if choice not in allowed:
                _errors(batch, i, "followup_offered", f"{choice!r} is not a follow-up choice of this survey.", errors)
        for field, values in (("followup_offered", offered), ("followup_chosen", chosen)):
            if len(set(values)) != len(values):
                _errors(batch, i, field, "Choices must not repeat.", errors)
        for choice in chosen:
            if choice not in offered:
                _errors(batch, i, "followup_chosen", f"{choice!r} was not offered.", errors)
        if item["client_time"] > now + policy.max_future:
            _errors(batch, i, "client_time", "Is in the future; check the device clock.", errors)
        elif item["client_time"] < now - policy.max_age:
            _errors(batch, i, "client_time", f"Is older than {policy.max_age.days} days.", errors)
    if errors:
        raise InvalidInput("The response breaks the survey's rules.", errors)


def _store(
    session: DbSession,
    source: Source,
    items: list[dict],
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
        # The office's zone, held until commit: a zone change or counter move waits for this write.
        zones = rollups.zones_for_write(session, [location.id])
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
            ).where(condition)
        ).all()
        wanted = set(ids)
        stored = {row.id: row for row in found if row.id in wanted}
        conflicts: dict = {}
        for i, item in enumerate(items):
            old = stored.get(item["id"])
            if old is not None and old.payload_hash != hashes[i]:
                _errors(batch, i, "id", "Already stored with a different body.", conflicts)
            elif old is not None and old.location_id != location.id:
                _errors(batch, i, "id", "Already stored for another location.", conflicts)
        if conflicts:
            raise Conflict("A response id is already stored with a different body.", conflicts)
        replays = {i for i, item in enumerate(items) if item["id"] in stored}
        versions = _resolve_versions(session, location, items, batch, skip=replays)
        _check_rules(items, versions, now, policy, batch, skip=replays)

        new = [i for i, item in enumerate(items) if item["id"] not in stored and i not in first_index]
        reflag: list = []
        if device is not None:
            neighbours = [row for row in found if row.device_id == device.id]
            new_taps = [Tap(items[i]["client_time"], items[i]["id"]) for i in new]
            flags = repeat_taps([Tap(row.client_time, row.id) for row in neighbours] + new_taps, policy.suspect_window)
            suspects = [flags[tap.id] for tap in new_taps]
            reflag = changed_neighbours(neighbours, new_taps, flags, policy.suspect_window)
        else:
            suspects = [source.repeat] * len(new)
        rows = []
        for i, suspect in zip(new, suspects, strict=True):
            item = items[i]
            rows.append(
                {
                    "id": item["id"],
                    "location_id": location.id,
                    "survey_version_id": versions[i].id,
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
        store_rows(session, rows, scales=scales, zones=zones)
        _reflag(session, reflag, flags if reflag else {}, zones)
        # Full records of replays, for the answer (rare: only a retried request has any).
        replayed = {r.id: r for r in session.scalars(select(Response).where(Response.id.in_(stored)))} if stored else {}
    # Plain records for the answer: building ORM objects for a 500-item batch costs more than the insert.
    # With the scale, so the alert hook tells negative from positive without a query.
    created = {
        row["id"]: SimpleNamespace(**row, location=location, scale=scales[row["survey_version_id"]]) for row in rows
    }
    results = []
    for i, item in enumerate(items):
        if item["id"] in created and i not in first_index:
            results.append(ItemResult(created[item["id"]], True))
        else:
            results.append(ItemResult(replayed.get(item["id"]) or created[item["id"]], False))
    return results


def store_rows(session: DbSession, rows: list[dict], *, scales: dict[int, str], zones: dict) -> None:
    """Insert validated response rows and add them to the rollups, in the caller's transaction.

    ``scales`` maps survey version id to scale key, ``zones`` location id to ZoneInfo.
    """
    if not rows:
        return
    session.execute(insert(Response), rows)
    rollups.apply(
        session,
        (
            rollups.Fact(
                r["location_id"],
                zones[r["location_id"]],
                r["client_time"],
                r["channel"],
                scales[r["survey_version_id"]],
                r["suspect"],
                r["rating"],
                tuple(r["followup_offered"]),
                tuple(r["followup_chosen"]),
            )
            for r in rows
        ),
    )


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


def changed_neighbours(neighbours: list, new_taps: list[Tap], flags: dict, window: timedelta) -> list:
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


def _reflag(session: DbSession, rows: list, flags: dict, zones: dict) -> None:
    """Store the new flag of stored taps and move each between the suspect=false/true buckets of
    the rollups, in the caller's transaction (spam is in no bucket: only its flag changes)."""
    if not rows:
        return
    table = Response.__table__
    for flag in (True, False):
        ids = [row.id for row in rows if flags[row.id] is flag]
        if ids:
            session.execute(update(table).where(table.c.id.in_(ids)).values(suspect=flag))
    counted = [row for row in rows if row.comment_state != "spam"]
    if not counted:
        return
    scales = dict(
        session.execute(
            select(SurveyVersion.id, SurveyVersion.scale).where(
                SurveyVersion.id.in_({row.survey_version_id for row in counted})
            )
        ).all()
    )

    def facts(suspect_of: Callable[[Row], bool]) -> list[rollups.Fact]:
        return [
            rollups.Fact(
                row.location_id,
                zones[row.location_id],
                row.client_time,
                row.channel,
                scales[row.survey_version_id],
                suspect_of(row),
                row.rating,
                tuple(row.followup_offered or ()),
                tuple(row.followup_chosen or ()),
            )
            for row in counted
        ]

    rollups.apply(session, facts(lambda row: bool(row.suspect)), sign=-1)
    rollups.apply(session, facts(lambda row: flags[row.id]), sign=1)


def record_heartbeat(
    session: DbSession,
    device: Device,
    *,
    app_version: str,
    queue_length: int,
    last_error: str | None,
    quarantined: int = 0,
    quarantined_ids: list[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> Device:
    with write_transaction(session):
        device = session.get(Device, device.id)
        device.last_seen_at = now or utcnow()
        device.app_version = app_version
        device.queue_length = queue_length
        # The kiosk reports its current error; None means it has recovered.
        device.last_error = last_error
        device.quarantined = quarantined
        device.quarantined_ids = [str(i) for i in quarantined_ids or ()]
    return device
