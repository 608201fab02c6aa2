"""Kiosks enrolled at a location, authenticated by a revocable bearer token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough (no salt or stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Device(Model):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    app_version: Mapped[str | None] = mapped_column(String(32))
    queue_length: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Taps the kiosk holds back because they alone kept failing (static/kiosk/sender.js):
    # how many, and the first ids, as its last heartbeat reported them.
    quarantined: Mapped[int | None] = mapped_column(Integer)
    quarantined_ids: Mapped[list | None] = mapped_column(JSON)

    location: Mapped[Location] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class EnrollmentCode(Model):
    """A one-time link that hands a device token to a tablet's browser."""

    __tablename__ = "enrollment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when another link of the same device was issued or redeemed (services/enrollment.py).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship()
