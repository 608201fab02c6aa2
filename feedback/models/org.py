"""Offices (service sites) and the locations (counters) inside them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow
from feedback.touchpoints import DEFAULT_CHANNELS

if TYPE_CHECKING:
    from feedback.models.surveys import Survey

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Office(Model):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["08:00", "16:30"]], ..., "sun": []}: local times, several spans a day allowed.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # Published service standards for the whole office (a location's own target wins).
    csat_target: Mapped[float | None] = mapped_column(Float)
    weekly_response_target: Mapped[int | None] = mapped_column(Integer)
    # The service named in the A-11 Section 280 quarterly collection, e.g. "Passport application".
    service_provided: Mapped[str | None] = mapped_column(String(200))
    # The High Impact Service Provider the service belongs to, as named in Touchpoints
    # (e.g. "Department of State - Passport Services"): the collection's service provider.
    service_provider: Mapped[str | None] = mapped_column(String(200))
    # Opt-in: /scores/<slug> shows this office's scores to the public.
    scoreboard_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Visitor languages offered at this office's kiosks and phones (feedback.i18n.LANGUAGES codes);
    # None = every one. A language the location's survey has no question in is never offered.
    visitor_languages: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    locations: Mapped[list[Location]] = relationship(back_populates="office", order_by="Location.code")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open_at(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls inside the office's local opening hours."""
        local = moment.astimezone(self.tz)
        hhmm = local.strftime("%H:%M")
        spans = (self.opening_hours or {}).get(WEEKDAYS[local.weekday()], [])
        return any(start <= hhmm < end for start, end in spans)


class Location(Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    # Published service standard: the CSAT share (0..1) this counter aims for; None = not set.
    csat_target: Mapped[float | None] = mapped_column(Float)
    weekly_response_target: Mapped[int | None] = mapped_column(Integer)
    # Overrides the office's service_provided in the A-11 collection when set.
    service_provided: Mapped[str | None] = mapped_column(String(200))
    # Touchpoints' channel (feedback.touchpoints.CHANNELS) of this counter's kiosk and phone
    # answers in the A-11 collection; None = the default (self_service_kiosk, mobile).
    a11_channel_kiosk: Mapped[str | None] = mapped_column(String(32))
    a11_channel_qr: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office] = relationship(back_populates="locations")
    survey: Mapped[Survey] = relationship()

    @property
    def effective_csat_target(self) -> float | None:
        """The CSAT target every page, alert and export uses: the counter's own, else its office's."""
        return self.csat_target if self.csat_target is not None else self.office.csat_target

    @property
    def effective_weekly_response_target(self) -> int | None:
        own = self.weekly_response_target
        return own if own is not None else self.office.weekly_response_target

    @property
    def effective_service_provided(self) -> str | None:
        return self.service_provided or self.office.service_provided

    def a11_channel(self, channel: str) -> str:
        """Touchpoints' channel for this counter's ``kiosk`` or ``qr`` answers."""
        own = self.a11_channel_kiosk if channel == "kiosk" else self.a11_channel_qr
        return own or DEFAULT_CHANNELS[channel]
