"""Offices: create and edit them (name, IANA zone, opening hours, standards), look one up."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Unpack
from zoneinfo import available_timezones

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback import i18n
from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services import audit, hours, rollups, targets
from feedback.services.actors import Actor, require_admin
from feedback.services.editing import KEEP, fresh, text
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.targets import OfficeStandards

NAME_MAX = 120
# Names in the zone database that are no place: the server's own setting and tzdata's placeholders.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


@functools.lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted (for the form's suggestions)."""
    return tuple(sorted(available_timezones() - _NOT_ZONES))


def valid_timezone(name: str) -> bool:
    return name in timezone_names()


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "office"


def _name_key(name: str) -> str:
    """What makes two names the same office: case, spaces and punctuation aside."""
    return " ".join(re.split(r"[\W_]+", name.casefold())).strip()


def _name_taken(session: DbSession, name: str, office_id: int | None) -> str | None:
    """The other office whose name reads the same as ``name`` ("Foo Bar", "foo-bar"), if any."""
    key = _name_key(name)
    for other_id, other in session.execute(select(Office.id, Office.name)):
        if other_id != office_id and _name_key(other) == key:
            return other
    return None


def _office_fields(
    session: DbSession,
    name: str,
    timezone: str,
    opening_hours: Mapping[str, object],
    standards: OfficeStandards,
    office_id: int | None = None,
) -> dict[str, object]:
    errors: dict[str, list[str]] = {}
    name, timezone = text(name), text(timezone)
    if not name:
        errors["name"] = [gettext("Required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [gettext("At most %(name_max)s characters.", name_max=NAME_MAX)]
    elif other := _name_taken(session, name, office_id):
        errors["name"] = [gettext("Another office has this name (%(other)s).", other=other)]
    if not valid_timezone(timezone):
        errors["timezone"] = [gettext("Not an IANA time zone (e.g. America/Chicago).")]
    week = hours.parse_week(opening_hours, errors)
    values: dict[str, object] = {"name": name, "timezone": timezone, "opening_hours": week}
    values |= targets.standards(errors, standards, new=None if office_id else OfficeStandards)
    if errors:
        raise InvalidInput(gettext("The office was not saved."), errors)
    return values


def _visitor_languages(languages: Iterable[str] | None) -> list[str] | None:
    """An office's visitor languages as stored: known codes in ``LANGUAGES`` order, English always;
    None (every language) when all are chosen or none was given."""
    if languages is None:
        return None
    chosen = list(i18n.offered(list(languages)))
    unknown = sorted(set(languages) - set(i18n.LANGUAGES))
    if unknown:
        raise InvalidInput(
            gettext("The office was not saved."),
            {"visitor_languages": [gettext("Unknown language(s): %(codes)s.", codes=", ".join(unknown))]},
        )
    return None if len(chosen) == len(i18n.LANGUAGES) else chosen


def _unique_slug(session: DbSession, name: str) -> str:
    base = slugify(name)[:60]
    slug, n = base, 1
    while session.scalar(select(Office.id).where(Office.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_office(
    session: DbSession,
    actor: Actor,
    *,
    name: str,
    timezone: str,
    opening_hours: Mapping[str, object],
    scoreboard_public: bool = False,
    visitor_languages: Iterable[str] | None = None,
    **standards: Unpack[OfficeStandards],
) -> Office:
    """A new office; its published standards (CSAT target as a percentage, responses a week per
    location, the A-11 service and provider) are optional, its public scoreboard off unless asked for."""
    require_admin(actor)
    values = _office_fields(session, name, timezone, opening_hours, standards)
    values["scoreboard_public"] = bool(scoreboard_public)
    values["visitor_languages"] = _visitor_languages(visitor_languages)
    office = Office(slug=_unique_slug(session, str(values["name"])), **values)
    session.add(office)
    session.flush()
    details = {key: [None, value] for key, value in values.items()} | {"slug": [None, office.slug]}
    audit.record(session, actor, "office.create", "office", office.id, details)
    return office


def update_office(
    session: DbSession,
    actor: Actor,
    office_id: int,
    *,
    name: str,
    timezone: str,
    opening_hours: Mapping[str, object],
    scoreboard_public: bool = KEEP,
    visitor_languages: Iterable[str] | None = KEEP,
    **standards: Unpack[OfficeStandards],
) -> dict[str, list[object]]:
    """Returns the changes ({} when nothing changed: no audit entry then). The slug stays, so
    printed poster addresses keep working. Standards a caller leaves out stay as stored."""
    require_admin(actor)
    office = fresh(session, Office, office_id, "office")
    values = _office_fields(session, name, timezone, opening_hours, standards, office_id=office.id)
    if scoreboard_public is not KEEP:
        values["scoreboard_public"] = bool(scoreboard_public)
    if visitor_languages is not KEEP:
        values["visitor_languages"] = _visitor_languages(visitor_languages)
    changed = audit.changes(office, values)
    if changed:
        audit.record(session, actor, "office.update", "office", office.id, changed)
    if "timezone" in changed:  # local dates and hours move with the zone: rebuild them now
        ids = session.scalars(select(Location.id).where(Location.office_id == office.id))
        rollups.rebuild(session, location_ids=ids)
    return changed


def office_named(session: DbSession, name: str) -> Office | None:
    """The office called exactly ``name`` (spaces around it aside), or None."""
    return session.scalar(select(Office).where(Office.name == text(name)))


def office_by_name(session: DbSession, name: str) -> Office:
    office = office_named(session, name)
    if office is None:
        raise NotFound(gettext("No office named %(name)s.", name=repr(name)), {"office": [gettext("Unknown office.")]})
    return office


def all_offices(session: DbSession, *, with_locations: bool = False) -> list[Office]:
    """Every office by name (with its locations loaded, if asked)."""
    query = select(Office).order_by(Office.name)
    if with_locations:
        query = query.options(joinedload(Office.locations))
    return list(session.scalars(query).unique())
