"""One-time enrolment links: how a kiosk tablet receives its device token (issue, check, redeem).

The rules (one open link per device, used once, expiring) are in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from feedback.database import DbSession, rowcount
from feedback.models import Device, EnrollmentCode, Location
from feedback.models.devices import hash_token, new_token
from feedback.services.errors import NotFound, ServiceError


class CodeUnusable(ServiceError):
    """A link that worked once and no longer does (used, replaced, expired, kiosk revoked)."""

    status = 410
    title = "Gone"


def _cancel_open_codes(session: DbSession, device_id: int, now: datetime, keep: int | None = None) -> None:
    """Cancel the device's unused, uncancelled links (but ``keep``)."""
    condition = [
        EnrollmentCode.device_id == device_id,
        EnrollmentCode.used_at.is_(None),
        EnrollmentCode.cancelled_at.is_(None),
        EnrollmentCode.expires_at > now,
    ]
    if keep is not None:
        condition.append(EnrollmentCode.id != keep)
    session.execute(
        update(EnrollmentCode).where(*condition).values(cancelled_at=now).execution_options(synchronize_session=False)
    )


def _lock_device(session: DbSession, device_id: int) -> None:
    """Serialise link changes of one device (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Device.id).where(Device.id == device_id).with_for_update())


def create_code(session: DbSession, device: Device, *, ttl: timedelta, now: datetime) -> tuple[EnrollmentCode, str]:
    """A new one-time link for ``device``; its earlier open links stop working (caller commits)."""
    code = secrets.token_urlsafe(18)
    _lock_device(session, device.id)
    _cancel_open_codes(session, device.id, now)
    record = EnrollmentCode(device=device, code_hash=hash_token(code), created_at=now, expires_at=now + ttl)
    session.add(record)
    session.flush()
    return record, code


def find_code(session: DbSession, code: str, *, now: datetime) -> EnrollmentCode:
    """The usable code record, or NotFound / CodeUnusable (used, expired, device revoked)."""
    record = session.scalar(
        select(EnrollmentCode)
        .options(joinedload(EnrollmentCode.device).joinedload(Device.location).joinedload(Location.office))
        .where(EnrollmentCode.code_hash == hash_token(code))
    )
    if record is None:
        raise NotFound("This enrolment link is not valid.")
    if record.used_at is not None:
        raise CodeUnusable("This enrolment link has already been used.")
    if record.cancelled_at is not None:
        raise CodeUnusable("This enrolment link was replaced by a newer one.")
    if record.expires_at <= now:
        raise CodeUnusable("This enrolment link has expired.")
    if record.device.revoked_at is not None:
        raise CodeUnusable("This kiosk has been revoked.")
    return record


def redeem(session: DbSession, code: str, *, now: datetime) -> tuple[Device, str]:
    """Use the code once: give its device a new token, cancel its other links, and return the
    token (caller commits). Of two tablets racing for one code, or for two links of one device,
    exactly one wins; the other gets 410."""
    record = find_code(session, code, now=now)
    _lock_device(session, record.device_id)
    claim = (
        update(EnrollmentCode)
        .where(
            EnrollmentCode.id == record.id,
            EnrollmentCode.used_at.is_(None),
            EnrollmentCode.cancelled_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(session.execute(claim)) != 1:
        raise CodeUnusable("This enrolment link has already been used.")
    _cancel_open_codes(session, record.device_id, now, keep=record.id)
    token = new_token()
    record.device.token_hash = hash_token(token)
    session.flush()
    return record.device, token
