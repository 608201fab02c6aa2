"""Scheduled e-mail digests: who subscribed to which, and the claim of each digest sent.

A digest is claimed by inserting its ``digest_sends`` row: the unique ``(user_id, kind,
period_key)`` lets exactly one scheduler node send a user's weekly digest of a given week (or
daily digest of a given day), however many nodes run the job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

DIGEST_KINDS = ("weekly", "daily")


class DigestSubscription(Model):
    """A user's digest settings; no row means no digest."""

    __tablename__ = "digest_subscriptions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    weekly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    daily: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSend(Model):
    """One digest claimed for sending: ``state`` is ``sending``, ``sent`` or ``failed``."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("user_id", "kind", "period_key", name="uq_digest_sends_user_kind_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # one of DIGEST_KINDS
    period_key: Mapped[str] = mapped_column(String(16))  # "2026-W49" (weekly) or "2026-11-30" (daily)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    node: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(8), default="sending")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(String(300))
