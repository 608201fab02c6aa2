"""Offices, locations and surveys: create and look up (used by the CLI, demo and admin site)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.models import Location, Office, Survey, SurveyVersion
from feedback.scales import DEFAULT_FOLLOWUP, DEFAULT_SCALE, DRIVERS, SCALES
from feedback.services.a11_details import template_errors
from feedback.services.errors import InvalidInput, NotFound
from feedback.touchpoints import ROLES as A11_ROLES

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
DEFAULT_QUESTION = {"en": "How did we do today?", "es": "¿Cómo lo hicimos hoy?"}
WEEKDAY_HOURS = {d: [["08:00", "16:30"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "office"


def get_or_create_office(
    session: Session, name: str, timezone: str | None = None, opening_hours: dict | None = None
) -> tuple[Office, bool]:
    office = session.scalar(select(Office).where(Office.name == name))
    if office is not None:
        return office, False
    if not timezone:
        raise InvalidInput(
            f"Office {name!r} does not exist; give its time zone to create it.",
            {"timezone": ["Required for a new office."]},
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {timezone!r}.", {"timezone": ["Not an IANA time zone."]})
    office = Office(
        name=name,
        slug=slugify(name),
        timezone=timezone,
        opening_hours=opening_hours if opening_hours is not None else WEEKDAY_HOURS,
    )
    session.add(office)
    session.flush()
    return office, True


def create_survey(
    session: Session,
    name: str,
    *,
    scale: str = DEFAULT_SCALE,
    question: dict | None = None,
    followup_choices=DEFAULT_FOLLOWUP,
    omb_control_number: str | None = None,
    omb_expiration=None,
    burden_statement: str | None = None,
    labels: dict | None = None,
    federal_register_url: str | None = None,
    a11_role: str | None = None,
) -> Survey:
    survey = Survey(name=name)
    session.add(survey)
    session.flush()
    add_survey_version(
        session,
        survey,
        scale=scale,
        question=question or DEFAULT_QUESTION,
        followup_choices=followup_choices,
        omb_control_number=omb_control_number,
        omb_expiration=omb_expiration,
        burden_statement=burden_statement,
        labels=labels,
        federal_register_url=federal_register_url,
        a11_role=a11_role,
    )
    return survey


def add_survey_version(
    session: Session,
    survey: Survey,
    *,
    scale: str,
    question: dict,
    followup_choices,
    omb_control_number=None,
    omb_expiration=None,
    burden_statement=None,
    labels: dict | None = None,
    federal_register_url: str | None = None,
    a11_role: str | None = None,
) -> SurveyVersion:
    """Editing a survey = adding a version; responses keep the version they answered."""
    errors = {}
    if scale not in SCALES:
        errors["scale"] = [f"One of {', '.join(SCALES)}."]
    if not question.get("en"):
        errors["question"] = ["English text is required."]
    if a11_role is not None and a11_role not in A11_ROLES:
        errors["a11_role"] = [f"One of {', '.join(A11_ROLES)}, or none."]
    elif a11_role is not None:
        errors.update(template_errors(scale, followup_choices, question.get("en", "")))
    unknown = [c for c in followup_choices if c not in DRIVERS]
    if unknown:
        errors["followup_choices"] = [f"Unknown choice(s): {', '.join(unknown)}."]
    labels = {lang: list(texts) for lang, texts in (labels or {}).items() if texts}
    if scale in SCALES:
        for lang, texts in labels.items():
            if len(texts) != SCALES[scale].points or not all(isinstance(t, str) and t.strip() for t in texts):
                errors[f"labels_{lang}"] = [f"{SCALES[scale].points} labels, worst to best, none empty."]
    if errors:
        raise InvalidInput("Invalid survey.", errors)
    latest = session.scalar(
        select(SurveyVersion.version).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.version.desc())
    )
    version = SurveyVersion(
        survey_id=survey.id,
        version=(latest or 0) + 1,
        scale=scale,
        question=dict(question),
        followup_choices=list(followup_choices),
        omb_control_number=omb_control_number,
        omb_expiration=omb_expiration,
        burden_statement=burden_statement,
        labels=labels or None,
        federal_register_url=federal_register_url,
        a11_role=a11_role,
    )
    session.add(version)
    session.flush()
    return version


def default_survey(session: Session) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.name == "Default"))
    return survey or create_survey(session, "Default")


def add_location(
    session: Session, code: str, *, office: Office, name: str, survey: Survey | None = None, active: bool = True
) -> tuple[Location, bool]:
    """Create a location, or return the existing one with that code (idempotent)."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise InvalidInput(
            f"Invalid location code {code!r}.", {"code": ["2-32 characters: capital letters, digits and dashes."]}
        )
    location = session.scalar(select(Location).where(Location.code == code))
    if location is not None:
        if location.office_id != office.id:
            raise InvalidInput(
                f"Location {code} already exists in office {location.office.name!r}.",
                {"code": ["Already used by another office."]},
            )
        return location, False
    location = Location(code=code, office=office, name=name, active=active, survey=survey or default_survey(session))
    session.add(location)
    session.flush()
    return location, True


def location_by_code(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code.strip().upper()))
    if location is None:
        raise NotFound(f"No location with code {code!r}.", {"location": ["Unknown location code."]})
    return location


def office_by_name(session: Session, name: str) -> Office:
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        raise NotFound(f"No office named {name!r}.", {"office": ["Unknown office."]})
    return office
