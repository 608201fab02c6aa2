"""Surveys: their content (one validated ``SurveyFields``), new surveys, edits as new versions,
and which locations ask which survey."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.i18n import LANGUAGES
from feedback.models import Location, Survey, SurveyVersion
from feedback.scales import DEFAULT_FOLLOWUP, DRIVERS, SCALES
from feedback.services import audit
from feedback.services.a11_details import template_errors
from feedback.services.actors import Actor, require_admin
from feedback.services.editing import fresh, or_none, text
from feedback.services.errors import InvalidInput
from feedback.touchpoints import ROLES as A11_ROLES

DEFAULT_NAME = "Default"
# The default survey's question in every visitor language (the catalogues' "How did we do today?").
DEFAULT_QUESTION = {
    "en": "How did we do today?",
    "es": "¿Cómo lo hicimos hoy?",
    "zh": "您对今天的服务满意吗？",
    "vi": "Hôm nay chúng tôi phục vụ quý vị thế nào?",
    "ko": "오늘 저희 서비스는 어떠셨나요?",
    "tl": "Kumusta ang serbisyo namin ngayon?",
    "ar": "كيف كانت خدمتنا اليوم؟",
}
# Languages after English and Spanish: their texts are ``question_<code>``/``labels_<code>`` fields.
MORE_LANGUAGES = tuple(code for code in LANGUAGES if code not in ("en", "es"))
OMB_RE = re.compile(r"^\d{4}-\d{4}$")
_WEB_ADDRESS_RE = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
NAME_MAX = 120
QUESTION_MAX = 200
LABEL_MAX = 40
BURDEN_MAX = 2000
URL_MAX = 500


@dataclass(frozen=True)
class SurveyFields:
    """What one survey version says, in form terms (compared to tell whether an edit changed it).
    Made by :func:`survey_fields`, which holds every rule of a survey's content."""

    scale: str
    question_en: str
    question_es: str
    followup_choices: tuple[str, ...]
    omb_control_number: str | None
    omb_expiration: date | None
    burden_statement: str | None
    # Button labels, one per line, worst to best; empty = the scale's standard (translated) labels.
    labels_en: str = ""
    labels_es: str = ""
    # The information collection's Federal Register notice (A-11 Section 280 report).
    federal_register_url: str | None = None
    # "a11_v2" for a survey built from the A-11 v2 template (reported to OMB), else None.
    a11_role: str | None = None
    # The other visitor languages (feedback.i18n.LANGUAGES): empty = not offered in that language.
    question_zh: str = ""
    question_vi: str = ""
    question_ko: str = ""
    question_tl: str = ""
    question_ar: str = ""
    labels_zh: str = ""
    labels_vi: str = ""
    labels_ko: str = ""
    labels_tl: str = ""
    labels_ar: str = ""

    @classmethod
    def of(cls, version: SurveyVersion) -> SurveyFields:
        stored = list(version.followup_choices or ())
        # In DRIVERS order, as the form gives them; unknown keys kept at the end.
        choices = tuple(d for d in DRIVERS if d in stored) + tuple(c for c in stored if c not in DRIVERS)
        labels = version.labels or {}
        return cls(
            version.scale,
            version.question.get("en", ""),
            version.question.get("es", ""),
            choices,
            version.omb_control_number,
            version.omb_expiration,
            version.burden_statement,
            "\n".join(labels.get("en") or ()),
            "\n".join(labels.get("es") or ()),
            version.federal_register_url,
            version.a11_role,
            **{f"question_{code}": version.question.get(code, "") for code in MORE_LANGUAGES},
            **{f"labels_{code}": "\n".join(labels.get(code) or ()) for code in MORE_LANGUAGES},
        )

    def questions(self) -> dict[str, str]:
        """The question per language, the languages without one left out."""
        return {code: text for code in LANGUAGES if (text := getattr(self, f"question_{code}"))}

    def label_lines(self) -> dict[str, list[str]]:
        """Custom button labels per language, the languages without any left out."""
        return {code: text.split("\n") for code in LANGUAGES if (text := getattr(self, f"labels_{code}"))}

    def version_values(self) -> dict[str, Any]:
        """The columns of a ``SurveyVersion`` with this content."""
        question = {"en": self.question_en} | self.questions()
        labels = self.label_lines()
        return {
            "scale": self.scale,
            "question": question,
            "followup_choices": list(self.followup_choices),
            "omb_control_number": self.omb_control_number,
            "omb_expiration": self.omb_expiration,
            "burden_statement": self.burden_statement,
            "labels": labels or None,
            "federal_register_url": self.federal_register_url,
            "a11_role": self.a11_role,
        }


def _omb_errors(omb: str | None, expiration: date | None, burden: str | None, errors: dict[str, list[str]]) -> None:
    if omb:
        if not OMB_RE.match(omb):
            errors["omb_control_number"] = [gettext("Four digits, a dash, four digits (e.g. 1405-0020).")]
        if expiration is None:
            errors["omb_expiration"] = [gettext("Required with an OMB control number.")]
        if not burden:
            errors["burden_statement"] = [gettext("Required with an OMB control number.")]
    else:
        if expiration is not None:
            errors["omb_control_number"] = [gettext("Required when an expiration date is given.")]
        if burden:
            errors["omb_control_number"] = [gettext("Required when a burden statement is given.")]
    if burden and len(burden) > BURDEN_MAX:
        errors["burden_statement"] = [gettext("At most %(burden_max)s characters.", burden_max=BURDEN_MAX)]


def _labels(scale: str, key: str, raw: str | None, errors: dict[str, list[str]]) -> str:
    lines = [text(line) for line in (raw or "").splitlines() if text(line)]
    if lines and scale in SCALES and len(lines) != SCALES[scale].points:
        errors[key] = [
            gettext(
                "%(points)s labels for this scale, one per line, worst to best (or none for the standard ones).",
                points=SCALES[scale].points,
            )
        ]
    if any(len(line) > LABEL_MAX for line in lines):
        errors[key] = [gettext("At most %(label_max)s characters a label.", label_max=LABEL_MAX)]
    return "\n".join(lines)


def survey_fields(
    *,
    scale: str,
    question_en: str,
    question_es: str = "",
    followup_choices: Iterable[str] = (),
    omb_control_number: str | None = None,
    omb_expiration: date | None = None,
    burden_statement: str | None = None,
    labels_en: str | None = "",
    labels_es: str | None = "",
    federal_register_url: str | None = None,
    a11_role: str | None = None,
    **more: str | None,
) -> SurveyFields:
    """Validate a survey version's content; raises InvalidInput keyed by form field. With the A-11
    role the content must follow the A-11 v2 template (``a11_details.template_errors``)."""
    errors: dict[str, list[str]] = {}
    if scale not in SCALES:
        errors["scale"] = [gettext("One of %(choices)s.", choices=", ".join(SCALES))]
    allowed = {f"{kind}_{code}" for kind in ("question", "labels") for code in MORE_LANGUAGES}
    if set(more) - allowed:
        raise TypeError(f"Unknown survey fields: {sorted(set(more) - allowed)}")
    en, es = text(question_en), text(question_es)
    if not en:
        errors["question_en"] = [gettext("Required.")]
    questions = {"question_en": en, "question_es": es}
    questions |= {f"question_{code}": text(more.get(f"question_{code}") or "") for code in MORE_LANGUAGES}
    for key, question in questions.items():
        if len(question) > QUESTION_MAX:
            errors[key] = [gettext("At most %(question_max)s characters.", question_max=QUESTION_MAX)]
    chosen = set(followup_choices or ())
    unknown = sorted(chosen - set(DRIVERS))
    if unknown:
        errors["followup_choices"] = [gettext("Unknown choice(s): %(choices)s.", choices=", ".join(unknown))]
    omb, burden = or_none(omb_control_number), or_none(burden_statement)
    _omb_errors(omb, omb_expiration, burden, errors)
    raw_labels = {"labels_en": labels_en, "labels_es": labels_es}
    raw_labels |= {f"labels_{code}": more.get(f"labels_{code}") for code in MORE_LANGUAGES}
    labels = {key: _labels(scale, key, raw, errors) for key, raw in raw_labels.items()}
    register_url = or_none(federal_register_url)
    if register_url and (len(register_url) > URL_MAX or not _WEB_ADDRESS_RE.match(register_url)):
        errors["federal_register_url"] = [
            gettext("A web address (https://...), at most %(url_max)s characters.", url_max=URL_MAX)
        ]
    role = or_none(a11_role)
    if role is not None and role not in A11_ROLES:
        errors["a11_role"] = [gettext("One of %(choices)s, or none.", choices=", ".join(A11_ROLES))]
    elif role is not None and scale in SCALES:
        for key, messages in template_errors(scale, chosen, en).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise InvalidInput(gettext("The survey was not saved."), errors)
    return SurveyFields(
        scale,
        en,
        es,
        tuple(d for d in DRIVERS if d in chosen),
        omb,
        omb_expiration,
        burden,
        labels["labels_en"],
        labels["labels_es"],
        register_url,
        role,
        **{key: value for key, value in questions.items() if key not in ("question_en", "question_es")},
        **{key: value for key, value in labels.items() if key not in ("labels_en", "labels_es")},
    )


def content(
    *,
    scale: str,
    question: Mapping[str, str] = DEFAULT_QUESTION,
    followup_choices: Iterable[str] = DEFAULT_FOLLOWUP,
    labels: Mapping[str, Iterable[str]] | None = None,
    **rest: Any,
) -> SurveyFields:
    """:func:`survey_fields` for content held as a version stores it (question and labels by
    language): the demo loader's and the command line's surveys."""
    labels = labels or {}
    more: dict[str, Any] = {f"question_{code}": question.get(code, "") for code in MORE_LANGUAGES}
    more |= {f"labels_{code}": "\n".join(labels.get(code) or ()) for code in MORE_LANGUAGES}
    return survey_fields(
        scale=scale,
        question_en=question.get("en", ""),
        question_es=question.get("es", ""),
        followup_choices=followup_choices,
        labels_en="\n".join(labels.get("en") or ()),
        labels_es="\n".join(labels.get("es") or ()),
        **more,
        **rest,
    )


def surveys_with_current(session: DbSession) -> list[tuple[Survey, SurveyVersion, int]]:
    """Every survey with its current version and how many locations use it, by name."""
    latest = (
        select(SurveyVersion.survey_id, func.max(SurveyVersion.version).label("version"))
        .group_by(SurveyVersion.survey_id)
        .subquery()
    )
    used = select(Location.survey_id, func.count(Location.id).label("n")).group_by(Location.survey_id).subquery()
    rows = session.execute(
        select(Survey, SurveyVersion, func.coalesce(used.c.n, 0))
        .join(latest, latest.c.survey_id == Survey.id)
        .join(SurveyVersion, (SurveyVersion.survey_id == Survey.id) & (SurveyVersion.version == latest.c.version))
        .outerjoin(used, used.c.survey_id == Survey.id)
        .order_by(Survey.name)
    ).all()
    return [(survey, version, n) for survey, version, n in rows]


def survey_versions(session: DbSession, survey_id: int) -> list[SurveyVersion]:
    """All versions, newest first."""
    return list(
        session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey_id).order_by(SurveyVersion.version.desc())
        )
    )


def _add_version(session: DbSession, survey: Survey, fields: SurveyFields) -> SurveyVersion:
    latest = session.scalar(select(func.max(SurveyVersion.version)).where(SurveyVersion.survey_id == survey.id))
    version = SurveyVersion(survey_id=survey.id, version=(latest or 0) + 1, **fields.version_values())
    session.add(version)
    session.flush()
    return version


def create_survey(session: DbSession, actor: Actor, *, name: str, fields: SurveyFields) -> Survey:
    require_admin(actor)
    fields = survey_fields(**vars(fields))  # the rules hold whoever built the fields
    name = text(name)
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(
            gettext("The survey was not saved."),
            {"name": [gettext("Required, at most %(name_max)s characters.", name_max=NAME_MAX)]},
        )
    if session.scalar(select(Survey.id).where(func.lower(Survey.name) == name.lower())):
        raise InvalidInput(gettext("The survey was not saved."), {"name": [gettext("Another survey has this name.")]})
    survey = Survey(name=name)
    session.add(survey)
    session.flush()
    _add_version(session, survey, fields)
    details = {"name": [None, name], "version": [None, 1]}
    details |= {key: [None, value] for key, value in vars(fields).items()}
    audit.record(session, actor, "survey.create", "survey", survey.id, details)
    return survey


def edit_survey(session: DbSession, actor: Actor, survey_id: int, fields: SurveyFields) -> SurveyVersion | None:
    """Versions are immutable: a change adds a version (responses keep the one they answered).
    Returns the new version, or None when ``fields`` equal the current version."""
    require_admin(actor)
    fields = survey_fields(**vars(fields))
    survey = fresh(session, Survey, survey_id, "survey")
    current = SurveyVersion.current_for(session, survey.id)
    before = SurveyFields.of(current)
    if before == fields:
        return None
    version = _add_version(session, survey, fields)
    details: dict[str, object] = {"version": [current.version, version.version]}
    details |= {key: [old, getattr(fields, key)] for key, old in vars(before).items() if old != getattr(fields, key)}
    audit.record(session, actor, "survey.update", "survey", survey.id, details)
    return version


def all_surveys(session: DbSession) -> list[Survey]:
    """Every survey, by name."""
    return list(session.scalars(select(Survey).order_by(Survey.name)))


def survey_named(session: DbSession, name: str) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.name == name))


def default_survey(session: DbSession, actor: Actor) -> Survey:
    """The survey a new location asks when none is chosen, made on first need."""
    survey = survey_named(session, DEFAULT_NAME)
    return survey or create_survey(session, actor, name=DEFAULT_NAME, fields=content(scale="faces5"))


def assign_survey(session: DbSession, actor: Actor, survey_id: int, location_ids: Iterable[int]) -> list[Location]:
    """Let the chosen locations ask this survey from now on; returns those that changed."""
    require_admin(actor)
    survey = fresh(session, Survey, survey_id, "survey")
    ids = set(location_ids or ())
    if not ids:
        raise InvalidInput(gettext("No location chosen."), {"locations": [gettext("Choose at least one location.")]})
    locations = list(
        session.scalars(
            select(Location).options(joinedload(Location.survey)).where(Location.id.in_(ids)).order_by(Location.code)
        )
    )
    if len(locations) != len(ids):
        raise InvalidInput(gettext("Unknown location."), {"locations": [gettext("Unknown location.")]})
    changed = []
    for location in locations:
        if location.survey_id != survey.id:
            details = {"survey": [location.survey.name, survey.name]}
            audit.record(session, actor, "location.assign_survey", "location", location.id, details)
            location.survey = survey
            changed.append(location)
    session.flush()
    return changed


def locations_asking(session: DbSession, survey_id: int) -> list[Location]:
    """The locations that ask this survey, by code."""
    return list(session.scalars(select(Location).where(Location.survey_id == survey_id).order_by(Location.code)))
