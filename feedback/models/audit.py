"""Who changed what, when: every change made through the admin site or the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.users import User


class AuditEntry(Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None for the command line or the system; kept if the user is deleted later.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # e-mail or "cli", readable after the user is gone
    action: Mapped[str] = mapped_column(String(64))  # e.g. "location.update"
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # changed fields: {"field": [old, new]}

    user: Mapped[User | None] = relationship()
