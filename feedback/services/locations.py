"""Locations (counters): create and edit them, find one in an actor's scope, rotate a phone link."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Unpack

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import Location, Office, Survey
from feedback.services import audit, rollups, survey_links, targets, users
from feedback.services.actors import Actor, require_admin
from feedback.services.editing import fresh, text
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.targets import LocationStandards

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
NAME_MAX = 120


def scoped_locations(session: DbSession, actor: Actor) -> list[Location]:
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


def all_locations(session: DbSession) -> list[Location]:
    """Every location with its office and survey, by code (admins' choices)."""
    query = select(Location).options(joinedload(Location.office), joinedload(Location.survey))
    return list(session.scalars(query.order_by(Location.code)))


def location_in_scope(session: DbSession, actor: Actor, key: int | str, *, for_update: bool = False) -> Location:
    """The location with this id or code if the actor may see it; NotFound, like an unknown one,
    otherwise (a manager learns nothing of other offices). ``for_update`` re-reads and locks the
    stored row, for a change (a read must never take a lock)."""
    if isinstance(key, str):
        location_id = session.scalar(select(Location.id).where(Location.code == text(key).upper()))
    else:
        location_id = key
    if not actor.is_admin and location_id not in users.scope_location_ids(session, actor):
        location_id = None  # outside the scope: answered like an unknown location
    if for_update:
        return fresh(session, Location, location_id, "location")
    location = session.get(Location, location_id) if location_id is not None else None
    if location is None:
        raise NotFound(gettext("No such location."))
    return location


def location_by_code(session: DbSession, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == text(code).upper()))
    if location is None:
        raise NotFound(
            gettext("No location with code %(code)s.", code=repr(code)),
            {"location": [gettext("Unknown location code.")]},
        )
    return location


def _name(name: str, errors: targets.Errors) -> str:
    name = text(name)
    if not name:
        errors["name"] = [gettext("Required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [gettext("At most %(name_max)s characters.", name_max=NAME_MAX)]
    return name


def create_location(
    session: DbSession,
    actor: Actor,
    *,
    code: str,
    name: str,
    office_id: int | None,
    survey_id: int | None,
    active: bool = True,
    **standards: Unpack[LocationStandards],
) -> Location:
    """A new location of an office, asking a survey; its published standards are optional."""
    require_admin(actor)
    errors: targets.Errors = {}
    code = text(code).upper()
    if not CODE_RE.match(code):
        errors["code"] = [gettext("2-32 characters: capital letters, digits and dashes.")]
    elif session.scalar(select(Location.id).where(Location.code == code)):
        errors["code"] = [gettext("Another location has this code.")]
    name = _name(name, errors)
    values = targets.standards(errors, standards, new=LocationStandards)
    office = session.get(Office, office_id) if office_id else None
    if office is None:
        errors["office"] = [gettext("Choose an office.")]
    survey = session.get(Survey, survey_id) if survey_id else None
    if survey is None:
        errors["survey"] = [gettext("Choose a survey.")]
    if errors or office is None or survey is None:
        raise InvalidInput(gettext("The location was not saved."), errors)
    location = Location(code=code, name=name, office=office, survey=survey, active=bool(active), **values)
    session.add(location)
    session.flush()
    details: dict[str, object] = {
        "code": [None, code],
        "name": [None, name],
        "office": [None, office.name],
        "survey": [None, survey.name],
        "active": [None, location.active],
        "csat_target": [None, values["csat_target"]],
    }
    details |= {key: [None, value] for key, value in values.items() if value is not None and key not in details}
    audit.record(session, actor, "location.create", "location", location.id, details)
    return location


def update_location(
    session: DbSession,
    actor: Actor,
    location_id: int,
    *,
    name: str,
    active: bool,
    office_id: int | None = None,
    **standards: Unpack[LocationStandards],
) -> dict[str, list[object]]:
    """A manager may change name, active flag and published standards (CSAT and weekly targets,
    service name, A-11 channels) of a location in scope; an admin may also move it to another
    office (``office_id``). Standards a caller leaves out stay as stored. Returns the changes."""
    location = location_in_scope(session, actor, location_id, for_update=True)
    errors: targets.Errors = {}
    name = _name(name, errors)
    values = targets.standards(errors, standards)
    office = None
    if office_id is not None and office_id != location.office_id:
        require_admin(actor)
        office = session.get(Office, office_id, with_for_update={"read": True})  # its zone holds until commit
        if office is None:
            errors["office"] = [gettext("Choose an office.")]
    if errors:
        raise InvalidInput(gettext("The location was not saved."), errors)
    changed = audit.changes(location, {"name": name, "active": bool(active)} | values)
    if office is not None:
        changed["office"] = [location.office.name, office.name]
        location.office = office
        rollups.rebuild(session, location_ids=[location.id])  # its responses now count in the new office's zone
    if changed:
        audit.record(session, actor, "location.update", "location", location.id, changed)
    return changed


def rotate_link(session: DbSession, actor: Actor, now: datetime, location_id: int) -> Location:
    """Retire the location's phone-survey link (its printed QR code then says so) and make a new one."""
    location = location_in_scope(session, actor, location_id, for_update=True)
    old = survey_links.active_link(session, location)
    new = survey_links.rotate(session, location, now)
    details = {"survey_link": [old.slug if old else None, new.slug]}
    audit.record(session, actor, "location.rotate_link", "location", location.id, details)
    return location
