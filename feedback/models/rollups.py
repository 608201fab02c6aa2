"""Pre-aggregated counts, kept consistent with ``responses`` in the same transaction.

Aggregation reads only these tables, so its cost depends on the size of the
asked range (locations x days x opening hours), not on how many responses are
stored. Buckets are in the office's local time, computed once at ingest with
the IANA zone, so DST days simply have 23 or 25 hourly buckets.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model

RATING_COLUMNS = ("r1", "r2", "r3", "r4", "r5")


class ResponseHourly(Model):
    """Ratings per location, local date and local hour (and channel, scale, suspect)."""

    __tablename__ = "response_hourly"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    local_hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    scale: Mapped[str] = mapped_column(String(16), primary_key=True)
    suspect: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday, of local_date
    n: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    r1: Mapped[int] = mapped_column(Integer, default=0)
    r2: Mapped[int] = mapped_column(Integer, default=0)
    r3: Mapped[int] = mapped_column(Integer, default=0)
    r4: Mapped[int] = mapped_column(Integer, default=0)
    r5: Mapped[int] = mapped_column(Integer, default=0)


class FollowupDaily(Model):
    """How often each follow-up choice was offered and chosen, per local day."""

    __tablename__ = "followup_daily"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    suspect: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    polarity: Mapped[str] = mapped_column(String(8), primary_key=True)
    choice: Mapped[str] = mapped_column(String(32), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    chosen: Mapped[int] = mapped_column(Integer, default=0)


class LanguageDaily(Model):
    """Responses per visitor language, per local day (and channel, suspect): the location page's
    answers per language. Its own small table, since a language in ``response_hourly``'s key would
    multiply that table's rows by the languages used."""

    __tablename__ = "language_daily"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    suspect: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DroppedSubmission(Model):
    """Phone posts dropped without storing (e.g. a filled honeypot), counted per local day."""

    __tablename__ = "dropped_submissions"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
