"""Admin users: create, change role and assignments, deactivate; and the scope of locations an
actor may see (assigned locations plus every location of assigned offices; all for an admin)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from feedback.database import DbSession
from feedback.models import Location, Office, User
from feedback.models.users import ROLES
from feedback.services import api_tokens, audit, auth
from feedback.services.actors import Actor, require_admin
from feedback.services.editing import fresh, text
from feedback.services.errors import InvalidInput, NotFound

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 254
PASSWORD_MIN = 10


def scope_location_ids(session: DbSession, user: Actor) -> set[int]:
    """Locations a user may see: all for an admin (or a system actor); for a manager the assigned
    locations and every location of the assigned offices."""
    if user.is_admin or not isinstance(user, User):
        return set(session.scalars(select(Location.id)))
    ids = {loc.id for loc in user.locations}
    office_ids = [office.id for office in user.offices]
    if office_ids:
        ids |= set(session.scalars(select(Location.id).where(Location.office_id.in_(office_ids))))
    return ids


def scope_office_ids(session: DbSession, user: Actor) -> set[int]:
    """Offices with at least one location in the user's scope."""
    ids = scope_location_ids(session, user)
    return set(session.scalars(select(Location.office_id).where(Location.id.in_(ids)).distinct())) if ids else set()


def resolve_locations(session: DbSession, user: Actor, codes: list[str]) -> list[int]:
    """Location ids for ``codes`` within the user's scope (all of it when ``codes`` is empty).

    A code outside the scope is reported exactly like an unknown one, so a
    manager learns nothing about other offices.
    """
    scope = scope_location_ids(session, user)
    if not codes:
        return sorted(scope)
    wanted = {code.strip().upper() for code in codes}
    found = dict(session.execute(select(Location.code, Location.id).where(Location.code.in_(wanted))).all())
    missing = sorted(code for code in wanted if found.get(code) not in scope)
    if missing:
        raise NotFound(
            gettext("Unknown location."), {"location": [gettext("Unknown: %(choices)s.", choices=", ".join(missing))]}
        )
    return sorted(found.values())


def all_users(session: DbSession) -> list[User]:
    """Every user with their assignments: active ones first, by e-mail."""
    query = select(User).options(selectinload(User.offices), selectinload(User.locations))
    return list(session.scalars(query.order_by(User.active.desc(), User.email)))


def user_by_email(session: DbSession, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == text(email).lower()))


def _role_errors(role: str, errors: dict[str, list[str]]) -> None:
    if role not in ROLES:
        errors["role"] = [gettext("One of %(choices)s.", choices=", ".join(ROLES))]


def _scope_objects(
    session: DbSession, office_ids: Iterable[int], location_ids: Iterable[int], errors: dict[str, list[str]]
) -> tuple[list[Office], list[Location]]:
    office_set, location_set = set(office_ids or ()), set(location_ids or ())
    offices = list(session.scalars(select(Office).where(Office.id.in_(office_set)).order_by(Office.name)))
    locations = list(session.scalars(select(Location).where(Location.id.in_(location_set)).order_by(Location.code)))
    if len(offices) != len(office_set):
        errors["offices"] = [gettext("Unknown office.")]
    if len(locations) != len(location_set):
        errors["locations"] = [gettext("Unknown location.")]
    return offices, locations


def _scope_names(offices: Iterable[Office], locations: Iterable[Location]) -> tuple[list[str], list[str]]:
    return sorted(o.name for o in offices), sorted(loc.code for loc in locations)


def create_user(
    session: DbSession,
    actor: Actor,
    *,
    email: str,
    role: str,
    password: str,
    office_ids: Iterable[int] = (),
    location_ids: Iterable[int] = (),
) -> User:
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    email = text(email).lower()
    if not EMAIL_RE.match(email) or len(email) > EMAIL_MAX:
        errors["email"] = [gettext("Not an e-mail address.")]
    elif user_by_email(session, email) is not None:
        errors["email"] = [gettext("A user with this e-mail already exists.")]
    _role_errors(role, errors)
    if len(password or "") < PASSWORD_MIN:
        errors["password"] = [gettext("At least %(password_min)s characters.", password_min=PASSWORD_MIN)]
    offices, locations = _scope_objects(session, office_ids, location_ids, errors)
    if errors:
        raise InvalidInput(gettext("The user was not saved."), errors)
    user = User(email=email, password_hash=generate_password_hash(password), role=role)
    user.offices, user.locations = offices, locations
    session.add(user)
    session.flush()
    office_names, codes = _scope_names(offices, locations)
    details = {
        "email": [None, email],
        "role": [None, role],
        "offices": [None, office_names],
        "locations": [None, codes],
    }
    audit.record(session, actor, "user.create", "user", user.id, details)
    return user


def update_user(
    session: DbSession,
    actor: Actor,
    user_id: int,
    *,
    role: str,
    office_ids: Iterable[int] = (),
    location_ids: Iterable[int] = (),
) -> dict[str, list[object]]:
    """Role and assignments (offices and/or locations). Admins cannot change their own role, so
    the site never loses its last admin by accident."""
    require_admin(actor)
    user = fresh(session, User, user_id, "user")
    errors: dict[str, list[str]] = {}
    _role_errors(role, errors)
    if not errors and user.id == actor.id and role != user.role:
        errors["role"] = [gettext("You cannot change your own role.")]
    offices, locations = _scope_objects(session, office_ids, location_ids, errors)
    if errors:
        raise InvalidInput(gettext("The user was not saved."), errors)
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


def set_user_active(
    session: DbSession, actor: Actor, now: datetime, user_id: int, active: bool
) -> dict[str, list[object]]:
    """Deactivate (signed out at once, cannot sign in, personal API tokens revoked) or reactivate."""
    require_admin(actor)
    user = fresh(session, User, user_id, "user")
    if user.id == actor.id and not active:
        raise InvalidInput(
            gettext("You cannot deactivate yourself."), {"active": [gettext("You cannot deactivate yourself.")]}
        )
    changed = audit.changes(user, {"active": bool(active)})
    if not changed:
        return {}
    if not active:
        auth.end_sessions(user)  # so reactivating the user does not bring old sessions back
        revoked = api_tokens.revoke_all(session, user, now)
        if revoked:
            changed["api_tokens_revoked"] = [None, revoked]
    audit.record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, changed)
    return changed
