"""Figures a manager enters for the A-11 Section 280 quarterly collection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location


class CustomerVolume(Model):
    """How many customers a location served in a federal fiscal quarter, per channel.

    Respondents are counted from the responses; these two volumes come from the
    office's own records (a queue system, a ticket count), so they are entered
    by hand or imported from a CSV. A missing row is reported as missing, never as 0.
    """

    __tablename__ = "customer_volumes"
    __table_args__ = (
        UniqueConstraint("location_id", "fiscal_year", "quarter", "channel", name="uq_customer_volumes_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)  # FY2027 runs 1 Oct 2026 .. 30 Sep 2027
    quarter: Mapped[int] = mapped_column(SmallInteger)  # 1..4
    channel: Mapped[str] = mapped_column(String(8))  # kiosk | qr
    volume_of_customers: Mapped[int | None] = mapped_column(Integer)
    volume_of_customers_provided_survey_opportunity: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254))  # e-mail or "cli"

    location: Mapped[Location] = relationship()
