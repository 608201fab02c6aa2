"""Management of offices, locations, surveys, kiosks, users and personal API tokens.

Every function that changes something validates its input, makes the change on
the caller's session and records an audit entry (``feedback.services.audit``)
there too; the caller commits (``write_transaction``), so the change and its
entry are stored together or not at all. A refused change raises
``InvalidInput`` (422, messages keyed by form field) before anything is written,
``NotFound`` for objects outside the actor's scope (a manager learns nothing of
other offices) and ``Forbidden`` for admin-only work.

Objects are re-read by id with ``populate_existing`` (and a row lock on
PostgreSQL), so the audit's old values are the stored ones, not those of a
snapshot the request read earlier.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from feedback.models import ApiToken, AuditEntry, Device, Location, Office, Survey, SurveyVersion, User
from feedback.models.org import WEEKDAYS
from feedback.models.users import ROLES
from feedback.numbers import percent
from feedback.scales import DRIVERS, SCALES
from feedback.services import audit, auth, devices, enrollment, org, rollups, users
from feedback.services.a11_details import template_errors
from feedback.services.errors import InvalidInput, NotFound, ServiceError
from feedback.sqltypes import utcnow
from feedback.touchpoints import CHANNELS as A11_CHANNELS
from feedback.touchpoints import ROLES as A11_ROLES

# A kiosk sends a heartbeat every minute; this much silence during opening hours is worth a look.
SILENT_AFTER = timedelta(minutes=15)
AUDIT_PAGE_SIZE = 50
OMB_RE = re.compile(r"^\d{4}-\d{4}$")
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})$")
QUESTION_MAX = 200
_WEB_ADDRESS_RE = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
BURDEN_MAX = 2000


class Forbidden(ServiceError):
    """Work only an admin may do."""

    status = 403
    title = "Forbidden"


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an admin can do this.")


def _fresh(session: Session, model, object_id: int | None, what: str):
    """The stored row (re-read, locked for the rest of the transaction on PostgreSQL)."""
    obj = session.get(model, object_id, populate_existing=True, with_for_update=True) if object_id else None
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def _text(value: str | None) -> str:
    return (value or "").strip()


def _or_none(value: str | None) -> str | None:
    return _text(value) or None


# --- offices ----------------------------------------------------------------------------------


# Names in the zone database that are no place: the server's own setting and tzdata's placeholder.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


@functools.lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted (for the form's suggestions)."""
    return tuple(sorted(available_timezones() - _NOT_ZONES))


def valid_timezone(name: str) -> bool:
    return name in timezone_names()


def _hhmm(hours: str, minutes: str) -> str | None:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def parse_day_hours(text: str) -> list[list[str]]:
    """``"8:00-12:00, 13:00-16:30"`` -> ``[["08:00", "12:00"], ["13:00", "16:30"]]``.

    Empty or ``closed`` is a closed day. Times are local, 24-hour; ``24:00`` ends a span at
    midnight. Spans must not overlap. Raises ValueError with a message for people.
    """
    text = _text(text)
    if not text or text.lower() == "closed":
        return []
    spans = []
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if not part:
            continue
        match = _SPAN_RE.match(part)
        start = match and _hhmm(match.group(1), match.group(2))
        end = match and _hhmm(match.group(3), match.group(4))
        if not start or not end or start == "24:00":
            raise ValueError(f"{part!r} is not a span like 08:00-16:30.")
        if end <= start:
            raise ValueError(f"{part}: the end must be after the start.")
        spans.append([start, end])
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError("Spans must not overlap.")
    return spans


def format_day_hours(spans: Iterable) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


def opening_hours_text(office: Office | None) -> dict[str, str]:
    """An office's week as one text per day (the form's fields), ``hours_mon`` ... ``hours_sun``."""
    hours = (office.opening_hours if office else org.WEEKDAY_HOURS) or {}
    return {f"hours_{day}": format_day_hours(hours.get(day, [])) for day in WEEKDAYS}


def _opening_hours(value: Mapping, errors: dict) -> dict:
    """Accepts {day: text} or {day: [[start, end], ...]}; fills ``errors`` under ``hours_<day>``."""
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        errors["opening_hours"] = [f"Unknown day(s): {', '.join(sorted(unknown))}."]
    week = {}
    for day in WEEKDAYS:
        raw = value.get(day) or ""
        try:
            week[day] = parse_day_hours(raw if isinstance(raw, str) else format_day_hours(raw))
        except (ValueError, TypeError) as exc:
            errors[f"hours_{day}"] = [str(exc)]
    return week


class _Keep:
    """The default of an optional field a caller does not send: the stored value stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()
WEEKLY_TARGET_MAX = 100_000
SERVICE_MAX = 200
URL_MAX = 500


def _weekly_target(value, errors: dict) -> int | None:
    """Responses a week (a whole number 1..100 000, blank for none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= WEEKLY_TARGET_MAX:
        errors["weekly_response_target"] = [f"A whole number from 1 to {WEEKLY_TARGET_MAX:,}."]
        return None
    return number


def _service_provided(value, errors: dict, field: str = "service_provided") -> str | None:
    text = _or_none(value)
    if text and len(text) > SERVICE_MAX:
        errors[field] = [f"At most {SERVICE_MAX} characters."]
    return text


def _a11_channel(field: str, value, errors: dict) -> str | None:
    """A Touchpoints channel for the A-11 collection (blank for the default)."""
    text = _or_none(value)
    if text is not None and text not in A11_CHANNELS:
        errors[field] = [f"One of Touchpoints' channels: {', '.join(A11_CHANNELS)}."]
    return text


def _standards(
    values: dict,
    errors: dict,
    *,
    csat_target_percent=KEEP,
    weekly_response_target=KEEP,
    service_provided=KEEP,
    service_provider=KEEP,
    a11_channel_kiosk=KEEP,
    a11_channel_qr=KEEP,
) -> dict:
    """The service-standard and A-11 fields a caller sent, validated into ``values`` (KEEP ones left out)."""
    if service_provider is not KEEP:
        values["service_provider"] = _service_provided(service_provider, errors, "service_provider")
    for field, value in (("a11_channel_kiosk", a11_channel_kiosk), ("a11_channel_qr", a11_channel_qr)):
        if value is not KEEP:
            values[field] = _a11_channel(field, value, errors)
    if csat_target_percent is not KEEP:
        try:
            values["csat_target"] = target_from_percent(csat_target_percent)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if weekly_response_target is not KEEP:
        values["weekly_response_target"] = _weekly_target(weekly_response_target, errors)
    if service_provided is not KEEP:
        values["service_provided"] = _service_provided(service_provided, errors)
    return values


def _office_fields(
    session: Session, name: str, tz: str, opening_hours: Mapping, office_id: int | None = None, **standards
) -> dict:
    errors: dict[str, list[str]] = {}
    name, tz = _text(name), _text(tz)
    if not name:
        errors["name"] = ["Required."]
    elif len(name) > 120:
        errors["name"] = ["At most 120 characters."]
    elif session.scalar(
        select(Office.id).where(func.lower(Office.name) == name.lower(), Office.id != (office_id or 0))
    ):
        errors["name"] = ["Another office has this name."]
    if not valid_timezone(tz):
        errors["timezone"] = ["Not an IANA time zone (e.g. America/Chicago)."]
    hours = _opening_hours(opening_hours, errors)
    values = _standards({"name": name, "timezone": tz, "opening_hours": hours}, errors, **standards)
    if errors:
        raise InvalidInput("The office was not saved.", errors)
    return values


def _unique_slug(session: Session, name: str) -> str:
    base = org.slugify(name)[:60]
    slug, n = base, 1
    while session.scalar(select(Office.id).where(Office.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_office(
    session: Session,
    actor: User,
    *,
    name: str,
    timezone: str,
    opening_hours: Mapping,
    csat_target_percent=None,
    weekly_response_target=None,
    service_provided=None,
    service_provider=None,
    scoreboard_public: bool = False,
) -> Office:
    """A new office; its service standards (CSAT target as a percentage, responses a week per location,
    the A-11 service name) are optional, and its public scoreboard is off unless asked for."""
    _require_admin(actor)
    values = _office_fields(
        session,
        name,
        timezone,
        opening_hours,
        csat_target_percent=csat_target_percent,
        weekly_response_target=weekly_response_target,
        service_provided=service_provided,
        service_provider=service_provider,
    )
    values["scoreboard_public"] = bool(scoreboard_public)
    office = Office(slug=_unique_slug(session, values["name"]), **values)
    session.add(office)
    session.flush()
    audit.record(
        session,
        actor,
        "office.create",
        "office",
        office.id,
        {key: [None, value] for key, value in values.items()} | {"slug": [None, office.slug]},
    )
    return office


def update_office(
    session: Session,
    actor: User,
    office_id: int,
    *,
    name: str,
    timezone: str,
    opening_hours: Mapping,
    csat_target_percent=KEEP,
    weekly_response_target=KEEP,
    service_provided=KEEP,
    service_provider=KEEP,
    scoreboard_public=KEEP,
) -> dict:
    """Returns the changes ({} when nothing changed: no audit entry then). The slug stays, so
    printed poster addresses keep working. Standards a caller leaves out (KEEP) stay as stored."""
    _require_admin(actor)
    office = _fresh(session, Office, office_id, "office")
    values = _office_fields(
        session,
        name,
        timezone,
        opening_hours,
        office_id=office.id,
        csat_target_percent=csat_target_percent,
        weekly_response_target=weekly_response_target,
        service_provided=service_provided,
        service_provider=service_provider,
    )
    if scoreboard_public is not KEEP:
        values["scoreboard_public"] = bool(scoreboard_public)
    changed = audit.changes(office, values)
    if changed:
        audit.record(session, actor, "office.update", "office", office.id, changed)
    if "timezone" in changed:  # local dates and hours move with the zone: rebuild them now
        rollups.rebuild(
            session, location_ids=session.scalars(select(Location.id).where(Location.office_id == office.id))
        )
    return changed


# --- locations --------------------------------------------------------------------------------


def scoped_locations(session: Session, actor: User) -> list[Location]:
    """The actor's locations with their office and survey, by code."""
    ids = users.scope_location_ids(session, actor)
    return list(
        session.scalars(
            select(Location)
            .options(joinedload(Location.office), joinedload(Location.survey))
            .where(Location.id.in_(ids))
            .order_by(Location.code)
        )
    )


def location_in_scope(session: Session, actor: User, location_id: int) -> Location:
    """The stored location if the actor may see it; NotFound (like an unknown one) otherwise."""
    if location_id not in users.scope_location_ids(session, actor):
        raise NotFound("No such location.")
    return _fresh(session, Location, location_id, "location")


def target_from_percent(percent) -> float | None:
    """A CSAT target entered as a percentage (0-100, blank for none) -> the stored share 0..1."""
    if percent is None or (isinstance(percent, str) and not percent.strip()):
        return None
    try:
        value = Decimal(str(percent).strip())
    except InvalidOperation:
        raise InvalidInput("Invalid CSAT target.", {"csat_target": ["A number from 0 to 100."]})
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput("Invalid CSAT target.", {"csat_target": ["A number from 0 to 100."]})
    return float(value / 100)


def percent_from_target(target: float | None) -> Decimal | None:
    """The stored share as the percentage people entered (0.855 -> 85.5)."""
    if target is None:
        return None
    return Decimal(format(percent(target, 2).normalize(), "f"))  # rounded half up, like every figure


def _location_common(name: str, csat_target_percent, errors: dict) -> tuple[str, float | None]:
    name = _text(name)
    if not name:
        errors["name"] = ["Required."]
    elif len(name) > 120:
        errors["name"] = ["At most 120 characters."]
    target = None
    try:
        target = target_from_percent(csat_target_percent)
    except InvalidInput as exc:
        errors.update(exc.errors)
    return name, target


def create_location(
    session: Session,
    actor: User,
    *,
    code: str,
    name: str,
    office_id: int,
    survey_id: int,
    active: bool = True,
    csat_target_percent=None,
    weekly_response_target=None,
    service_provided=None,
    a11_channel_kiosk=None,
    a11_channel_qr=None,
) -> Location:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    extra = _standards(
        {},
        errors,
        weekly_response_target=weekly_response_target,
        service_provided=service_provided,
        a11_channel_kiosk=a11_channel_kiosk,
        a11_channel_qr=a11_channel_qr,
    )
    code = _text(code).upper()
    if not org.CODE_RE.match(code):
        errors["code"] = ["2-32 characters: capital letters, digits and dashes."]
    elif session.scalar(select(Location.id).where(Location.code == code)):
        errors["code"] = ["Another location has this code."]
    name, target = _location_common(name, csat_target_percent, errors)
    office = session.get(Office, office_id) if office_id else None
    if office is None:
        errors["office"] = ["Choose an office."]
    survey = session.get(Survey, survey_id) if survey_id else None
    if survey is None:
        errors["survey"] = ["Choose a survey."]
    if errors:
        raise InvalidInput("The location was not saved.", errors)
    location = Location(
        code=code, name=name, office=office, survey=survey, active=bool(active), csat_target=target, **extra
    )
    session.add(location)
    session.flush()
    audit.record(
        session,
        actor,
        "location.create",
        "location",
        location.id,
        {
            "code": [None, code],
            "name": [None, name],
            "office": [None, office.name],
            "survey": [None, survey.name],
            "active": [None, location.active],
            "csat_target": [None, target],
        }
        | {key: [None, value] for key, value in extra.items() if value is not None},
    )
    return location


def update_location(
    session: Session,
    actor: User,
    location_id: int,
    *,
    name: str,
    active: bool,
    csat_target_percent=None,
    office_id: int | None = None,
    weekly_response_target=KEEP,
    service_provided=KEEP,
    a11_channel_kiosk=KEEP,
    a11_channel_qr=KEEP,
) -> dict:
    """A manager may change name, active flag, CSAT target, weekly response target, service name and
    A-11 channels of a location in scope; an admin may also move it to another office (``office_id``).
    Returns the changes. Fields left out (KEEP) stay as stored."""
    location = location_in_scope(session, actor, location_id)
    errors: dict[str, list[str]] = {}
    name, target = _location_common(name, csat_target_percent, errors)
    extra = _standards(
        {},
        errors,
        weekly_response_target=weekly_response_target,
        service_provided=service_provided,
        a11_channel_kiosk=a11_channel_kiosk,
        a11_channel_qr=a11_channel_qr,
    )
    office = None
    if office_id is not None and office_id != location.office_id:
        _require_admin(actor)
        office = session.get(Office, office_id, with_for_update={"read": True})  # its zone holds until commit
        if office is None:
            errors["office"] = ["Choose an office."]
    if errors:
        raise InvalidInput("The location was not saved.", errors)
    changed = audit.changes(location, {"name": name, "active": bool(active), "csat_target": target} | extra)
    if office is not None:
        changed["office"] = [location.office.name, office.name]
        location.office = office
        rollups.rebuild(session, location_ids=[location.id])  # its responses now count in the new office's zone
    if changed:
        audit.record(session, actor, "location.update", "location", location.id, changed)
    return changed


# --- surveys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyFields:
    """What one survey version says, in form terms (compared to tell whether an edit changed it)."""

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
        )

    def version_kwargs(self) -> dict:
        question = {"en": self.question_en} | ({"es": self.question_es} if self.question_es else {})
        labels = {lang: text.split("\n") for lang, text in (("en", self.labels_en), ("es", self.labels_es)) if text}
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
) -> SurveyFields:
    """Validate a survey version's content; raises InvalidInput keyed by form field. With the A-11
    role the content must follow the A-11 v2 template (``a11_details.template_errors``)."""
    errors: dict[str, list[str]] = {}
    if scale not in SCALES:
        errors["scale"] = [f"One of {', '.join(SCALES)}."]
    en, es = _text(question_en), _text(question_es)
    if not en:
        errors["question_en"] = ["Required."]
    for key, text in (("question_en", en), ("question_es", es)):
        if len(text) > QUESTION_MAX:
            errors[key] = [f"At most {QUESTION_MAX} characters."]
    chosen = set(followup_choices or ())
    unknown = sorted(chosen - set(DRIVERS))
    if unknown:
        errors["followup_choices"] = [f"Unknown choice(s): {', '.join(unknown)}."]
    omb, burden = _or_none(omb_control_number), _or_none(burden_statement)
    if omb:
        if not OMB_RE.match(omb):
            errors["omb_control_number"] = ["Four digits, a dash, four digits (e.g. 1405-0020)."]
        if omb_expiration is None:
            errors["omb_expiration"] = ["Required with an OMB control number."]
        if not burden:
            errors["burden_statement"] = ["Required with an OMB control number."]
    else:
        if omb_expiration is not None:
            errors["omb_control_number"] = ["Required when an expiration date is given."]
        if burden:
            errors["omb_control_number"] = ["Required when a burden statement is given."]
    if burden and len(burden) > BURDEN_MAX:
        errors["burden_statement"] = [f"At most {BURDEN_MAX} characters."]
    labels = {}
    for key, raw in (("labels_en", labels_en), ("labels_es", labels_es)):
        lines = [_text(line) for line in (raw or "").splitlines() if _text(line)]
        if lines and scale in SCALES and len(lines) != SCALES[scale].points:
            errors[key] = [
                f"{SCALES[scale].points} labels for this scale, one per line, worst to best "
                f"(or none for the standard ones)."
            ]
        if any(len(line) > 40 for line in lines):
            errors[key] = ["At most 40 characters a label."]
        labels[key] = "\n".join(lines)
    register_url = _or_none(federal_register_url)
    if register_url and (len(register_url) > URL_MAX or not _WEB_ADDRESS_RE.match(register_url)):
        errors["federal_register_url"] = [f"A web address (https://...), at most {URL_MAX} characters."]
    role = _or_none(a11_role)
    if role is not None and role not in A11_ROLES:
        errors["a11_role"] = [f"One of {', '.join(A11_ROLES)}, or none."]
    elif role is not None and scale in SCALES:
        for key, messages in template_errors(scale, chosen, en).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise InvalidInput("The survey was not saved.", errors)
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
    )


def surveys_with_current(session: Session) -> list[tuple[Survey, SurveyVersion, int]]:
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
    return [tuple(row) for row in rows]


def survey_versions(session: Session, survey_id: int) -> list[SurveyVersion]:
    """All versions, newest first."""
    return list(
        session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey_id).order_by(SurveyVersion.version.desc())
        )
    )


def create_survey(session: Session, actor: User, *, name: str, fields: SurveyFields) -> Survey:
    _require_admin(actor)
    name = _text(name)
    if not name or len(name) > 120:
        raise InvalidInput("The survey was not saved.", {"name": ["Required, at most 120 characters."]})
    if session.scalar(select(Survey.id).where(func.lower(Survey.name) == name.lower())):
        raise InvalidInput("The survey was not saved.", {"name": ["Another survey has this name."]})
    survey = org.create_survey(session, name, **fields.version_kwargs())
    details = {"name": [None, name], "version": [None, 1]}
    details |= {key: [None, value] for key, value in vars(fields).items()}
    audit.record(session, actor, "survey.create", "survey", survey.id, details)
    return survey


def edit_survey(session: Session, actor: User, survey_id: int, fields: SurveyFields) -> SurveyVersion | None:
    """Versions are immutable: a change adds a version (responses keep the one they answered).
    Returns the new version, or None when ``fields`` equal the current version."""
    _require_admin(actor)
    survey = _fresh(session, Survey, survey_id, "survey")
    current = SurveyVersion.current_for(session, survey.id)
    before = SurveyFields.of(current)
    if before == fields:
        return None
    version = org.add_survey_version(session, survey, **fields.version_kwargs())
    details = {"version": [current.version, version.version]}
    details |= {key: [old, getattr(fields, key)] for key, old in vars(before).items() if old != getattr(fields, key)}
    audit.record(session, actor, "survey.update", "survey", survey.id, details)
    return version


def assign_survey(session: Session, actor: User, survey_id: int, location_ids: Iterable[int]) -> list[Location]:
    """Let the chosen locations ask this survey from now on; returns those that changed."""
    _require_admin(actor)
    survey = _fresh(session, Survey, survey_id, "survey")
    ids = set(location_ids or ())
    if not ids:
        raise InvalidInput("No location chosen.", {"locations": ["Choose at least one location."]})
    locations = list(
        session.scalars(
            select(Location).options(joinedload(Location.survey)).where(Location.id.in_(ids)).order_by(Location.code)
        )
    )
    if len(locations) != len(ids):
        raise InvalidInput("Unknown location.", {"locations": ["Unknown location."]})
    changed = []
    for location in locations:
        if location.survey_id != survey.id:
            audit.record(
                session,
                actor,
                "location.assign_survey",
                "location",
                location.id,
                {"survey": [location.survey.name, survey.name]},
            )
            location.survey = survey
            changed.append(location)
    session.flush()
    return changed


# --- kiosks -----------------------------------------------------------------------------------


def _span_bounds(day: date, start: str, end: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    lo = datetime.combine(day, time.fromisoformat(start), tz)
    hi = (
        datetime.combine(day + timedelta(days=1), time(0), tz)
        if end == "24:00"
        else datetime.combine(day, time.fromisoformat(end), tz)
    )
    return lo.astimezone(UTC), hi.astimezone(UTC)


def open_time_between(
    office: Office, start: datetime, end: datetime, *, enough: timedelta | None = None, max_days: int = 366
) -> timedelta:
    """How much of [start, end) falls inside the office's opening hours (real elapsed time, so a
    DST night counts right). Counts backwards from ``end`` and stops once past ``enough``."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    tz, hours = office.tz, office.opening_hours or {}
    total = timedelta(0)
    day, first = end.astimezone(tz).date(), start.astimezone(tz).date()
    for _ in range(max_days):
        if day < first:
            break
        for span_start, span_end in hours.get(WEEKDAYS[day.weekday()], []):
            lo, hi = _span_bounds(day, span_start, span_end, tz)
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                total += hi - lo
        if enough is not None and total > enough:
            break
        day -= timedelta(days=1)
    return total


def is_silent(device: Device, now: datetime, *, after: timedelta = SILENT_AFTER) -> bool:
    """Flag a kiosk that has been quiet for more than ``after`` of its office's opening hours.

    Only while the office is open (``Office.is_open_at(now)``), and only opening time counts:
    a kiosk last heard at closing yesterday gets ``after`` of grace when the office opens. A
    kiosk never heard from counts from its enrolment. Revoked kiosks and kiosks of switched-off
    locations are never flagged.
    """
    location = device.location
    if device.revoked_at is not None or not location.active:
        return False
    office = location.office
    if not office.is_open_at(now):
        return False
    since = device.last_seen_at or device.created_at
    return open_time_between(office, since, now, enough=after) > after


@dataclass
class KioskRow:
    device: Device
    location: Location
    office: Office
    last_seen_local: datetime | None
    silent: bool


def kiosk_rows(session: Session, actor: User, now: datetime | None = None) -> list[KioskRow]:
    """The actor's kiosks (active first, by location code), with last-seen in the office's zone."""
    now = now or utcnow()
    ids = users.scope_location_ids(session, actor)
    found = session.scalars(
        select(Device)
        .join(Device.location)
        .options(joinedload(Device.location).joinedload(Location.office))
        .where(Device.location_id.in_(ids))
        .order_by(Device.revoked_at.is_not(None), Location.code, Device.id)
    )
    return [
        KioskRow(
            d,
            d.location,
            d.location.office,
            d.last_seen_at.astimezone(d.location.office.tz) if d.last_seen_at else None,
            is_silent(d, now),
        )
        for d in found
    ]


def device_in_scope(session: Session, actor: User, device_id: int) -> Device:
    device = _fresh(session, Device, device_id, "kiosk")
    if device.location_id not in users.scope_location_ids(session, actor):
        raise NotFound("No such kiosk.")
    return device


def enroll_kiosk(
    session: Session, actor: User, location_id: int, label: str, *, ttl: timedelta
) -> tuple[Device, str, datetime]:
    """A new kiosk for a location in scope; returns it, its one-time enrolment code and the code's expiry."""
    location = location_in_scope(session, actor, location_id)
    label = _text(label)
    if len(label) > 120:
        raise InvalidInput("The kiosk was not enrolled.", {"label": ["At most 120 characters."]})
    if not location.active:
        raise InvalidInput(
            "The kiosk was not enrolled.", {"location": ["This location is switched off; switch it on first."]}
        )
    device, _token = devices.enroll(session, location, label)
    record, code = enrollment.create_code(session, device, ttl=ttl)
    audit.record(
        session, actor, "kiosk.enroll", "device", device.id, {"location": [None, location.code], "label": [None, label]}
    )
    return device, code, record.expires_at


def new_enrolment_link(
    session: Session, actor: User, device_id: int, *, ttl: timedelta
) -> tuple[Device, str, datetime]:
    """Another one-time link for an active kiosk (e.g. a replaced tablet)."""
    device = device_in_scope(session, actor, device_id)
    if device.revoked_at is not None:
        raise InvalidInput("This kiosk is revoked.", {"device": ["This kiosk is revoked; enrol a new one."]})
    record, code = enrollment.create_code(session, device, ttl=ttl)
    audit.record(session, actor, "kiosk.link", "device", device.id, {"enrolment_link": [None, "issued"]})
    return device, code, record.expires_at


def revoke_kiosk(session: Session, actor: User, device_id: int) -> dict:
    device = device_in_scope(session, actor, device_id)
    if device.revoked_at is not None:
        return {}
    devices.revoke(session, device.id)
    changed = {"revoked_at": [None, device.revoked_at]}
    audit.record(session, actor, "kiosk.revoke", "device", device.id, changed)
    return changed


# --- users ------------------------------------------------------------------------------------


def _scope_objects(session: Session, office_ids, location_ids, errors: dict) -> tuple[list[Office], list[Location]]:
    office_ids, location_ids = set(office_ids or ()), set(location_ids or ())
    offices = list(session.scalars(select(Office).where(Office.id.in_(office_ids)).order_by(Office.name)))
    locations = list(session.scalars(select(Location).where(Location.id.in_(location_ids)).order_by(Location.code)))
    if len(offices) != len(office_ids):
        errors["offices"] = ["Unknown office."]
    if len(locations) != len(location_ids):
        errors["locations"] = ["Unknown location."]
    return offices, locations


def _scope_names(offices, locations) -> tuple[list[str], list[str]]:
    return sorted(o.name for o in offices), sorted(loc.code for loc in locations)


def create_user(
    session: Session, actor: User, *, email: str, role: str, password: str, office_ids=(), location_ids=()
) -> User:
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    email = _text(email).lower()
    if not users.EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = ["Not an e-mail address."]
    elif session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = ["A user with this e-mail already exists."]
    if role not in ROLES:
        errors["role"] = [f"One of {', '.join(ROLES)}."]
    if len(password or "") < 10:
        errors["password"] = ["At least 10 characters."]
    offices, locations = _scope_objects(session, office_ids, location_ids, errors)
    if errors:
        raise InvalidInput("The user was not saved.", errors)
    user, _created = users.create_user(session, email, password, role, locations, offices)
    office_names, codes = _scope_names(offices, locations)
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        {
            "email": [None, email],
            "role": [None, role],
            "offices": [None, office_names],
            "locations": [None, codes],
        },
    )
    return user


def update_user(session: Session, actor: User, user_id: int, *, role: str, office_ids=(), location_ids=()) -> dict:
    """Role and assignments (offices and/or locations). Admins cannot change their own role, so
    the site never loses its last admin by accident."""
    _require_admin(actor)
    user = _fresh(session, User, user_id, "user")
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"One of {', '.join(ROLES)}."]
    elif user.id == actor.id and role != user.role:
        errors["role"] = ["You cannot change your own role."]
    offices, locations = _scope_objects(session, office_ids, location_ids, errors)
    if errors:
        raise InvalidInput("The user was not saved.", errors)
    old_offices, old_codes = _scope_names(user.offices, user.locations)
    new_offices, new_codes = _scope_names(offices, locations)
    changed = audit.changes(user, {"role": role})
    if "role" in changed:
        auth.end_sessions(user)  # signed in with the old role's rights: sign in again
    if old_offices != new_offices:
        changed["offices"] = [old_offices, new_offices]
        user.offices = offices
    if old_codes != new_codes:
        changed["locations"] = [old_codes, new_codes]
        user.locations = locations
    if changed:
        audit.record(session, actor, "user.update", "user", user.id, changed)
    return changed


def set_user_active(session: Session, actor: User, user_id: int, active: bool) -> dict:
    """Deactivate (signed out at once, cannot sign in, personal API tokens revoked) or reactivate."""
    _require_admin(actor)
    user = _fresh(session, User, user_id, "user")
    if user.id == actor.id and not active:
        raise InvalidInput("You cannot deactivate yourself.", {"active": ["You cannot deactivate yourself."]})
    changed = audit.changes(user, {"active": bool(active)})
    if not changed:
        return {}
    if not active:
        auth.end_sessions(user)  # so reactivating the user does not bring old sessions back
        now = utcnow()
        tokens = list(
            session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
        )
        for token in tokens:
            token.revoked_at = now
        if tokens:
            changed["api_tokens_revoked"] = [None, len(tokens)]
    audit.record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, changed)
    return changed


# --- personal API tokens ----------------------------------------------------------------------


def own_tokens(session: Session, actor: User) -> list[ApiToken]:
    """The actor's tokens: active ones first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def create_token(session: Session, actor: User, name: str) -> tuple[ApiToken, str]:
    """A personal API token; the secret is returned once and only its hash is stored."""
    name = _text(name)
    if not name or len(name) > 120:
        raise InvalidInput("The token was not made.", {"name": ["Required, at most 120 characters."]})
    token, secret = users.create_api_token(session, actor, name)
    audit.record(session, actor, "api_token.create", "api_token", token.id, {"name": [None, name]})
    return token, secret


def revoke_token(session: Session, actor: User, token_id: int) -> dict:
    """Revoke one of the actor's own tokens; anyone else's is NotFound."""
    token = _fresh(session, ApiToken, token_id, "token")
    if token.user_id != actor.id:
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        return {}
    changed = audit.changes(token, {"revoked_at": utcnow()})
    audit.record(session, actor, "api_token.revoke", "api_token", token.id, changed)
    return changed


# --- audit log --------------------------------------------------------------------------------


@dataclass
class AuditRow:
    entry: AuditEntry
    target: str  # e.g. "location HOU-C1", readable even after the target changed


_TARGET_LABELS = {
    "office": (Office, lambda o: o.name),
    "location": (Location, lambda loc: loc.code),
    "survey": (Survey, lambda s: s.name),
    "device": (Device, lambda d: f"#{d.id}{' ' + repr(d.label) if d.label else ''}"),
    "user": (User, lambda u: u.email),
    "api_token": (ApiToken, lambda t: repr(t.name)),
}


def _target_label(entry, labels: dict) -> str:
    if entry.target_id is None:
        # Targets without an integer id (a response's UUID) name themselves in the details.
        return str((entry.details or {}).get(entry.target_type, "")) or "\u2013"
    return labels.get((entry.target_type, entry.target_id), f"#{entry.target_id}")


def audit_page(
    session: Session, before: int | None = None, size: int = AUDIT_PAGE_SIZE
) -> tuple[list[AuditRow], int | None]:
    """One page of the audit log, newest first, and the ``before`` id of the next (older) page."""
    entries = audit.recent(session, limit=size + 1, before_id=before)
    more = len(entries) > size
    entries = entries[:size]
    labels: dict[tuple[str, int], str] = {}
    for kind, (model, label) in _TARGET_LABELS.items():
        ids = {e.target_id for e in entries if e.target_type == kind and e.target_id is not None}
        if ids:
            for obj in session.scalars(select(model).where(model.id.in_(ids))):
                labels[(kind, obj.id)] = label(obj)
    kinds = {"api_token": "API token", "device": "kiosk"}
    rows = [AuditRow(e, f"{kinds.get(e.target_type, e.target_type)} {_target_label(e, labels)}") for e in entries]
    return rows, (entries[-1].id if more else None)
