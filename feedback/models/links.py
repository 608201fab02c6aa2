"""Phone-survey links: each location's unguessable short slug, printed as a QR code."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location


class SurveyLink(Model):
    """A slug for ``/s/<slug>``. Rotating retires the old one (kept, to answer it kindly)."""

    __tablename__ = "survey_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(24), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship()
