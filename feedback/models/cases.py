"""Follow-up of one comment (case management): who handles it, by when, and what was done.

One row per comment that someone assigned, gave a due date or a note, or resolved; a comment
nobody touched has none. Kept apart from ``responses`` so the hot table stays narrow and the
inbox's partial index is unchanged. Staff text only: the visitor's words stay in ``responses``.
Changed only through :func:`feedback.services.triage.save_case`, which audits every change.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime

NOTE_MAX = 500


class CommentCase(Model):
    __tablename__ = "comment_cases"
    __table_args__ = (Index("ix_comment_cases_assignee", "assignee_id"),)

    response_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    # Deleting a user is not possible (they are deactivated); SET NULL keeps the case if it ever is.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # at most NOTE_MAX characters
    resolution: Mapped[str | None] = mapped_column(Text)  # what was done; required to resolve
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
