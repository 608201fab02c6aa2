"""Kiosk enrolment, token authentication and revocation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from feedback.models import Device, Location
from feedback.models.devices import hash_token, new_token
from feedback.services.errors import NotFound
from feedback.sqltypes import utcnow


def enroll(session: Session, location: Location, label: str = "") -> tuple[Device, str]:
    """Create a device; returns it and its bearer token, which is shown once and never stored."""
    token = new_token()
    device = Device(location=location, label=label, token_hash=hash_token(token))
    session.add(device)
    session.flush()
    return device, token


def authenticate(session: Session, token: str | None) -> Device | None:
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


def revoke(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"No device {device_id}.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    return device
