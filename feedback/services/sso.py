"""Single sign-on (OpenID Connect): the group-to-role mapping, and what a sign-in or a re-check
through the identity provider does to the user (docs/ARCHITECTURE.md, "Single sign-on").

The provider's groups decide: at each sign-in and each re-check the role and offices the mapping
gives are written onto the user, and a user whose groups give nothing has every session ended.
The views do the OpenID Connect protocol (admin_app/sso.py); this module sees only verified claims.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.database import DbSession, write_transaction
from feedback.models import Office, SsoGroupRole, User
from feedback.models.users import ROLES
from feedback.services import audit, auth, users
from feedback.services.actors import Actor, SystemActor, require_admin
from feedback.services.editing import fresh, text
from feedback.services.errors import InvalidInput, ServiceError

# Changes made because of the provider's groups are audited under this name.
SSO = SystemActor("single sign-on")
GROUP_MAX = 200


class SsoRefused(ServiceError):
    status = 403
    title = "Forbidden"


@dataclass(frozen=True)
class Grant:
    """What a user's groups give: admin, or manager of these offices."""

    role: str
    office_ids: frozenset[int]


def groups_of(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The group names in ``claims[claim]``: a list of strings, or one string (some providers)."""
    value = claims.get(claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({g.strip() for g in value if isinstance(g, str) and g.strip()})


# --- the mapping ------------------------------------------------------------------------------


def all_mappings(session: DbSession) -> list[SsoGroupRole]:
    query = select(SsoGroupRole).options(selectinload(SsoGroupRole.offices)).order_by(SsoGroupRole.group_name)
    return list(session.scalars(query))


def add_mapping(
    session: DbSession, actor: Actor, *, group_name: str, role: str, office_ids: Iterable[int] = ()
) -> SsoGroupRole:
    """Map a group to admin, or to manager of one or more offices."""
    require_admin(actor)
    name = text(group_name)
    errors: dict[str, list[str]] = {}
    if not name or len(name) > GROUP_MAX:
        errors["group_name"] = [gettext("Between 1 and %(max)s characters.", max=GROUP_MAX)]
    elif session.scalar(select(SsoGroupRole.id).where(SsoGroupRole.group_name == name)) is not None:
        errors["group_name"] = [gettext("This group is already mapped.")]
    if role not in ROLES:
        errors["role"] = [gettext("One of %(choices)s.", choices=", ".join(ROLES))]
    wanted = set(office_ids or ()) if role == "manager" else set()
    offices = list(session.scalars(select(Office).where(Office.id.in_(wanted)).order_by(Office.name)))
    if len(offices) != len(wanted):
        errors["offices"] = [gettext("Unknown office.")]
    elif role == "manager" and not offices:
        errors["offices"] = [gettext("Choose the offices this group's managers see.")]
    if errors:
        raise InvalidInput(gettext("The group was not saved."), errors)
    mapping = SsoGroupRole(group_name=name, role=role, offices=offices)
    session.add(mapping)
    session.flush()
    details = {"group": [None, name], "role": [None, role], "offices": [None, [o.name for o in offices]]}
    audit.record(session, actor, "sso_group.create", "sso_group", mapping.id, details)
    return mapping


def remove_mapping(session: DbSession, actor: Actor, mapping_id: int) -> None:
    """Forget a group: its members lose what it gave at their next request."""
    require_admin(actor)
    mapping = fresh(session, SsoGroupRole, mapping_id, "group")
    details = {
        "group": [mapping.group_name, None],
        "role": [mapping.role, None],
        "offices": [[o.name for o in mapping.offices], None],
    }
    audit.record(session, actor, "sso_group.delete", "sso_group", mapping.id, details)
    session.delete(mapping)


def grant_for(session: DbSession, groups: Iterable[str]) -> Grant | None:
    """The role ``groups`` give: admin if any mapped group gives admin, else manager of every office
    the mapped groups name; None when no group is mapped."""
    names = set(groups)
    if not names:
        return None
    mappings = list(
        session.scalars(
            select(SsoGroupRole).options(selectinload(SsoGroupRole.offices)).where(SsoGroupRole.group_name.in_(names))
        )
    )
    if not mappings:
        return None
    if any(m.role == "admin" for m in mappings):
        return Grant("admin", frozenset())
    return Grant("manager", frozenset(o.id for m in mappings for o in m.offices))


def _apply(session: DbSession, user: User, grant: Grant) -> dict[str, list[object]]:
    """Write ``grant`` onto ``user``; a changed role ends the user's other sessions."""
    changed = audit.changes(user, {"role": grant.role})
    if "role" in changed:
        auth.end_sessions(user)
    old = sorted(o.name for o in user.offices)
    offices = list(session.scalars(select(Office).where(Office.id.in_(grant.office_ids)).order_by(Office.name)))
    if old != [o.name for o in offices]:
        changed["offices"] = [old, [o.name for o in offices]]
        user.offices = offices
    if user.locations:  # the groups decide: single locations come from no group
        changed["locations"] = [sorted(loc.code for loc in user.locations), []]
        user.locations = []
    return changed


# --- sign-in and re-check ---------------------------------------------------------------------


def refuse(session: DbSession, reason: str, email: str | None = None) -> None:
    """Audit a refused single sign-on (a bad token, a replayed state, no mapped group)."""
    with write_transaction(session):
        details = {"method": "sso", "reason": reason, "user": email or "unknown"}
        audit.record(session, SSO, "user.sign_in_refused", "user", None, details)


def sign_in(session: DbSession, claims: Mapping[str, Any], *, groups_claim: str, now: datetime) -> User:
    """The user for verified ID-token claims: matched by verified e-mail, created when unknown and
    a group is mapped, their role set from the groups. Raises SsoRefused (audited) otherwise."""
    email = text(claims.get("email") if isinstance(claims.get("email"), str) else "").lower()
    if not email or claims.get("email_verified") is not True:
        refuse(session, "e-mail not verified", email or None)
        raise SsoRefused(gettext("Your identity provider did not confirm your e-mail address."))
    groups = groups_of(claims, groups_claim)
    refusal: SsoRefused | None = None
    with write_transaction(session):
        grant = grant_for(session, groups)
        user = session.scalar(
            select(User).where(User.email == email).with_for_update().execution_options(populate_existing=True)
        )
        details: dict[str, Any] = {"method": "sso", "groups": groups}
        if grant is None or (user is not None and not user.active):
            reason = "no mapped group" if grant is None else "deactivated"
            refused = {**details, "reason": reason, "user": email}
            audit.record(session, SSO, "user.sign_in_refused", "user", user.id if user else None, refused)
            refusal = SsoRefused(
                gettext("Your groups give no access to this site. Ask your administrator.")
                if grant is None
                else gettext("This account is deactivated.")
            )
        elif user is None:
            # A random password nobody knows: the account signs in through the provider only.
            password_hash = users.generate_password_hash(secrets.token_urlsafe(32))
            user = User(email=email, password_hash=password_hash, role=grant.role)
            user.offices = list(session.scalars(select(Office).where(Office.id.in_(grant.office_ids))))
            session.add(user)
            session.flush()
            offices = sorted(o.name for o in user.offices)
            created = {"email": [None, email], "role": [None, grant.role], "offices": [None, offices], "groups": groups}
            audit.record(session, SSO, "user.create", "user", user.id, created)
        else:
            changed = _apply(session, user, grant)
            if changed:
                audit.record(session, SSO, "user.update", "user", user.id, {**changed, "groups": groups})
        if refusal is None and user is not None:
            user.failed_logins, user.locked_until = 0, None
            audit.record(session, user, "user.sign_in", "user", user.id, details)
    if refusal is not None or user is None:
        raise refusal or SsoRefused(gettext("Sign-in failed."))
    return user


def recheck(session: DbSession, user_id: int, groups: list[str], *, now: datetime) -> User | None:
    """Apply the user's current groups (from the provider) to a running session: the user with
    their role brought up to date, or None when the groups give nothing any more, in which case
    every session of the user is ended (audited)."""
    with write_transaction(session):
        user = session.get(User, user_id, with_for_update=True, populate_existing=True)
        if user is None or not user.active:
            return None
        grant = grant_for(session, groups)
        if grant is None:
            auth.end_sessions(user)
            audit.record(session, SSO, "user.sso_access_removed", "user", user.id, {"groups": groups})
            return None
        changed = _apply(session, user, grant)
        if changed:
            audit.record(session, SSO, "user.update", "user", user.id, {**changed, "groups": groups})
    return user
