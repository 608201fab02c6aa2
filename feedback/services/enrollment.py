"""One-time enrolment links: how a kiosk tablet receives its device token.

Staff open the link on the tablet; redeeming it issues the device a fresh token
(replacing any earlier one) that the page stores in the browser. A code works
once and expires, and only its hash is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from feedback.models import Device, EnrollmentCode, Location
from feedback.models.devices import hash_token, new_token
from feedback.services.errors import NotFound, ServiceError
from feedback.sqltypes import utcnow


class CodeUnusable(ServiceError):
    status = 410
    title = "Gone"


def create_code(
    session: Session, device: Device, *, ttl: timedelta = timedelta(hours=24), now: datetime | None = None
) -> tuple[EnrollmentCode, str]:
    code = secrets.token_urlsafe(18)
    now = now or utcnow()
    record = EnrollmentCode(device=device, code_hash=hash_token(code), created_at=now, expires_at=now + ttl)
    session.add(record)
    session.flush()
    return record, code


def find_code(session: Session, code: str, *, now: datetime | None = None) -> EnrollmentCode:
    """The usable code record, or NotFound / CodeUnusable (used, expired, device revoked)."""
    record = session.scalar(
        select(EnrollmentCode)
        .options(joinedload(EnrollmentCode.device).joinedload(Device.location).joinedload(Location.office))
        .where(EnrollmentCode.code_hash == hash_token(code))
    )
    if record is None:
        raise NotFound("This enrolment link is not valid.")
    now = now or utcnow()
    if record.used_at is not None:
        raise CodeUnusable("This enrolment link has already been used.")
    if record.expires_at <= now:
        raise CodeUnusable("This enrolment link has expired.")
    if record.device.revoked_at is not None:
        raise CodeUnusable("This kiosk has been revoked.")
    return record


def redeem(session: Session, code: str, *, now: datetime | None = None) -> tuple[Device, str]:
    """Use the code once: give its device a new token and return it (caller commits)."""
    now = now or utcnow()
    record = find_code(session, code, now=now)
    # Conditional update: of two tablets racing for one code, exactly one wins.
    claimed = session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.id == record.id, EnrollmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise CodeUnusable("This enrolment link has already been used.")
    token = new_token()
    record.device.token_hash = hash_token(token)
    session.flush()
    return record.device, token
