"""One visitor's answer. No personal data: no IP, no user agent; a phone comment is scrubbed before storage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, SmallInteger, String, Text, Uuid, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location

CHANNELS = ("kiosk", "qr")
COMMENT_STATES = ("open", "handled", "archived", "spam", "purged")


class Response(Model):
    __tablename__ = "responses"
    __table_args__ = (
        # Repeat-tap check: a device's neighbours in client time.
        Index("ix_responses_device_client_time", "device_id", "client_time"),
        Index("ix_responses_location_client_time", "location_id", "client_time"),
        # The comment inbox: tab counts and pages per state read only rows with a comment.
        # comment_flagged last, so the tab counts read the index alone.
        Index(
            "ix_responses_comment_inbox",
            "location_id",
            "comment_state",
            "client_time",
            "comment_flagged",
            sqlite_where=text("comment_state IS NOT NULL"),
            postgresql_where=text("comment_state IS NOT NULL"),
        ),
        # The fold (services/fold.py) and the readers' "anything not yet folded here?" read only
        # the few rows a tap stored since the last fold.
        Index(
            "ix_responses_pending", "location_id", sqlite_where=text("pending = 1"), postgresql_where=text("pending")
        ),
    )

    # Made by the client, so a retry of the same tap is recognised.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    channel: Mapped[str] = mapped_column(String(8))
    rating: Mapped[int] = mapped_column(SmallInteger)
    # Both lists are kept so an export can tell "offered, not chosen" from "not offered".
    followup_offered: Mapped[list] = mapped_column(JSON, default=list)
    followup_chosen: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8))
    client_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the canonical submitted body: a replay must match it exactly.
    payload_hash: Mapped[str] = mapped_column(String(64))
    # Phone survey only, at most 500 characters, with e-mails, phone numbers, SSNs and
    # long digit runs replaced by a marker before it is stored (services/scrub.py).
    comment: Mapped[str | None] = mapped_column(Text)
    # The comment inbox (services/comments.py): open, handled, archived or spam. A spam
    # response is taken out of the rollups, so it counts in no score or export total.
    # ``purged``: the text was cleared by records retention (services/retention.py); in no tab.
    comment_state: Mapped[str | None] = mapped_column(String(16))
    comment_flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Stored by a tap but not yet added to the rollups (services/fold.py adds it and clears this).
    # Writers that add a row and its rollups in one transaction (the demo loader) store False.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    location: Mapped[Location] = relationship()
