"""Kiosks (devices): enrol one at a location, issue another enrolment link, revoke it, list the
actor's kiosks with their health, recognise a kiosk by its bearer token, record its heartbeats."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession, begin_write, write_transaction
from feedback.models import Device, Location, Office
from feedback.models.devices import hash_token, new_token
from feedback.services import audit, enrollment, tap_cache, users
from feedback.services.actors import Actor
from feedback.services.editing import fresh, text
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.hours import open_time_between
from feedback.services.locations import location_in_scope
from feedback.services.tap_cache import KioskRef, TapLocation

# A kiosk sends a heartbeat every minute; this much silence during opening hours is worth a look.
SILENT_AFTER = timedelta(minutes=15)
LABEL_MAX = 120


def is_silent(device: Device, now: datetime, *, after: timedelta = SILENT_AFTER) -> bool:
    """Flag a kiosk that has been quiet for more than ``after`` of its office's opening hours.

    Only while the office is open (``Office.is_open_at(now)``), and only opening time counts:
    a kiosk last heard at closing yesterday gets ``after`` of grace when the office opens. A
    kiosk never heard from counts from its enrolment. Revoked kiosks and kiosks of switched-off
    locations are never flagged.
    """
    location = device.location
    if device.revoked_at is not None or not location.active:
        return False
    office = location.office
    if not office.is_open_at(now):
        return False
    since = device.last_seen_at or device.created_at
    return open_time_between(office, since, now, enough=after) > after


@dataclass
class KioskRow:
    device: Device
    location: Location
    office: Office
    last_seen_local: datetime | None
    silent: bool


def kiosk_rows(session: DbSession, actor: Actor, now: datetime) -> list[KioskRow]:
    """The actor's kiosks (active first, by location code), with last-seen in the office's zone."""
    ids = users.scope_location_ids(session, actor)
    found = session.scalars(
        select(Device)
        .join(Device.location)
        .options(joinedload(Device.location).joinedload(Location.office))
        .where(Device.location_id.in_(ids))
        .order_by(Device.revoked_at.is_not(None), Location.code, Device.id)
    )
    return [
        KioskRow(
            d,
            d.location,
            d.location.office,
            d.last_seen_at.astimezone(d.location.office.tz) if d.last_seen_at else None,
            is_silent(d, now),
        )
        for d in found
    ]


def device_in_scope(session: DbSession, actor: Actor, device_id: int) -> Device:
    """The stored kiosk (re-read and locked) if its location is in the actor's scope; NotFound otherwise."""
    device = fresh(session, Device, device_id, "kiosk")
    if not actor.is_admin and device.location_id not in users.scope_location_ids(session, actor):
        raise NotFound(gettext("No such kiosk."))
    return device


@dataclass(frozen=True)
class Enrolment:
    """A new kiosk: its bearer token (shown once; opening the link issues the tablet a fresh one)
    and its one-time enrolment link's code and expiry."""

    device: Device
    token: str
    code: str
    expires_at: datetime


def enroll_kiosk(
    session: DbSession, actor: Actor, now: datetime, location_id: int, label: str, *, ttl: timedelta
) -> Enrolment:
    """A new kiosk for a location in scope, with a one-time enrolment link valid for ``ttl``."""
    location = location_in_scope(session, actor, location_id, for_update=True)
    label = text(label)
    if len(label) > LABEL_MAX:
        raise InvalidInput(
            gettext("The kiosk was not enrolled."),
            {"label": [gettext("At most %(label_max)s characters.", label_max=LABEL_MAX)]},
        )
    if not location.active:
        raise InvalidInput(
            gettext("The kiosk was not enrolled."),
            {"location": [gettext("This location is switched off; switch it on first.")]},
        )
    token = new_token()
    device = Device(location=location, label=label, token_hash=hash_token(token), created_at=now)
    session.add(device)
    session.flush()
    record, code = enrollment.create_code(session, device, ttl=ttl, now=now)
    details = {"location": [None, location.code], "label": [None, label]}
    audit.record(session, actor, "kiosk.enroll", "device", device.id, details)
    return Enrolment(device, token, code, record.expires_at)


def new_enrolment_link(
    session: DbSession, actor: Actor, now: datetime, device_id: int, *, ttl: timedelta
) -> tuple[Device, str, datetime]:
    """Another one-time link for an active kiosk (e.g. a replaced tablet); its earlier links stop working."""
    device = device_in_scope(session, actor, device_id)
    if device.revoked_at is not None:
        raise InvalidInput(
            gettext("This kiosk is revoked."), {"device": [gettext("This kiosk is revoked; enrol a new one.")]}
        )
    record, code = enrollment.create_code(session, device, ttl=ttl, now=now)
    audit.record(session, actor, "kiosk.link", "device", device.id, {"enrolment_link": [None, "issued"]})
    return device, code, record.expires_at


def revoke_kiosk(session: DbSession, actor: Actor, now: datetime, device_id: int) -> dict[str, list[object]]:
    """Revoke a kiosk's token: its next request is refused. Returns the change ({} if already revoked)."""
    device = device_in_scope(session, actor, device_id)
    if device.revoked_at is not None:
        return {}
    changed = audit.changes(device, {"revoked_at": now})
    audit.record(session, actor, "kiosk.revoke", "device", device.id, changed)
    return changed


def authenticate(session: DbSession, token: str | None) -> Device | None:
    """The active device holding ``token``, or None (unknown, revoked, or location switched off)."""
    if not token:
        return None
    device = session.scalar(
        select(Device)
        .options(joinedload(Device.location).joinedload(Location.office))
        .where(Device.token_hash == hash_token(token))
    )
    if device is None or device.revoked_at is not None or not device.location.active:
        return None
    return device


def authenticate_for_write(session: DbSession, token: str | None, *, max_age: float) -> KioskRef | None:
    """The active kiosk holding ``token`` as plain values, or None, for a request that writes.

    Answered from this process's cache when it read the token less than ``max_age`` seconds ago
    (a revocation elsewhere is refused within ``max_age``; here at once, see ``tap_cache``);
    otherwise read in the write transaction the request then continues (``begin_write``), so a
    tap is one transaction. Refusals are never cached.
    """
    if not token:
        return None
    digest = hash_token(token)
    cache = tap_cache.of(session)
    found = cache.get(("token", digest), max_age)
    if found is not None:
        return cast(KioskRef, found)
    begin_write(session)
    read_at = time.monotonic()
    row = session.execute(
        select(Device.id, Device.revoked_at, Location.id, Location.code, Location.survey_id, Location.active)
        .join(Location, Location.id == Device.location_id)
        .where(Device.token_hash == digest)
    ).first()
    if row is None or row[1] is not None or not row[5]:
        return None
    kiosk = KioskRef(row[0], TapLocation(row[2], row[3], row[4]))
    cache.put(("token", digest), kiosk, read_at, max_age)
    return kiosk


def record_heartbeat(
    session: DbSession,
    device: Device | KioskRef,
    *,
    app_version: str,
    queue_length: int,
    last_error: str | None,
    now: datetime,
    quarantined: int = 0,
    quarantined_ids: list[uuid.UUID] | None = None,
) -> Device:
    """Note that a kiosk is alive: its app version, queue, current error (None: recovered) and
    the items it holds in quarantine."""
    with write_transaction(session):
        stored = session.get(Device, device.id)
        if stored is None:
            raise NotFound("No such kiosk.")
        stored.last_seen_at = now
        stored.app_version = app_version
        stored.queue_length = queue_length
        stored.last_error = last_error
        stored.quarantined = quarantined
        stored.quarantined_ids = [str(i) for i in quarantined_ids or ()]
    return stored
