"""Surveys and their immutable versions.

A location points at a survey; editing a survey adds a new version, and every
response keeps the version it answered, so past ratings never change meaning.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from feedback.extensions import Model
from feedback.scales import SCALES, Scale
from feedback.sqltypes import UTCDateTime, utcnow


class Survey(Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.version", lazy="raise_on_sql"
    )

    def current_version(self) -> SurveyVersion:
        return SurveyVersion.current_for(object_session(self), self.id)


class SurveyVersion(Model):
    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version", name="uq_survey_versions_survey_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    scale: Mapped[str] = mapped_column(String(16))
    # {"en": "How did we do today?", "es": "¿Cómo lo hicimos hoy?"}
    question: Mapped[dict] = mapped_column(JSON)
    # Optional button labels per language, worst to best ({"en": [...], "es": [...]});
    # a language left out uses the standard labels of the scale from the catalogues.
    labels: Mapped[dict | None] = mapped_column(JSON)
    # Follow-up choice keys (feedback.scales.DRIVERS); empty means no follow-up.
    followup_choices: Mapped[list] = mapped_column(JSON, default=list)
    # Paperwork Reduction Act notice, shown on visitor pages when set.
    omb_control_number: Mapped[str | None] = mapped_column(String(16))
    omb_expiration: Mapped[date | None] = mapped_column(Date)
    burden_statement: Mapped[str | None] = mapped_column(Text)
    # The Federal Register notice of the information collection (A-11 Section 280 export).
    federal_register_url: Mapped[str | None] = mapped_column(String(500))
    # The version's A-11 role: "a11_v2" when it follows the A-11 v2 template (trust question,
    # thumbs or 5-point, the drivers as follow-up), so its answers are reported to OMB; None for
    # any other survey, which the A-11 files leave out with a reason (feedback.touchpoints.ROLES).
    a11_role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")

    @staticmethod
    def current_for(session, survey_id: int) -> SurveyVersion:
        """The newest version of a survey (what kiosks and phones show now)."""
        return session.scalars(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(SurveyVersion.version.desc())
            .limit(1)
        ).one()

    @property
    def scale_def(self) -> Scale:
        return SCALES[self.scale]
