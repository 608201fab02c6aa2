"""Admin users, their scope, and personal API tokens for the read API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from feedback.models import ApiToken, Location, Office, User
from feedback.models.devices import hash_token, new_token
from feedback.models.users import ROLES
from feedback.services.errors import InvalidInput, NotFound

# "Last used" of a personal API token is kept to the minute: at most one write a minute per token.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_user(
    session: Session, email: str, password: str, role: str, locations: list[Location] = (), offices: list[Office] = ()
) -> tuple[User, bool]:
    """Create a user, or update role and scope of an existing one (idempotent)."""
    email = email.strip().lower()
    errors = {}
    if not EMAIL_RE.match(email):
        errors["email"] = ["Not an e-mail address."]
    if role not in ROLES:
        errors["role"] = [f"One of {', '.join(ROLES)}."]
    if len(password) < 10:
        errors["password"] = ["At least 10 characters."]
    if errors:
        raise InvalidInput("Invalid user.", errors)
    user = session.scalar(select(User).where(User.email == email))
    created = user is None
    if created:
        user = User(email=email, password_hash=generate_password_hash(password), role=role)
        session.add(user)
    user.role = role
    user.locations = list(locations)
    user.offices = list(offices)
    session.flush()
    return user, created


def create_api_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    token = new_token()
    api_token = ApiToken(user=user, name=name, token_hash=hash_token(token))
    session.add(api_token)
    session.flush()
    return api_token, token


def find_api_token(session: Session, token: str | None) -> ApiToken | None:
    """The active personal token ``token`` with its user, or None (unknown, revoked, user inactive).

    Reads only: the read API calls this on every request, and a read must never need the write
    lock. The token's last use is recorded afterwards (``record_api_token_use``).
    """
    if not token:
        return None
    api_token = session.scalar(
        select(ApiToken).options(selectinload(ApiToken.user)).where(ApiToken.token_hash == hash_token(token))
    )
    if api_token is None or api_token.revoked_at is not None or not api_token.user.active:
        return None
    return api_token


def authenticate_api_token(session: Session, token: str | None) -> User | None:
    api_token = find_api_token(session, token)
    return api_token.user if api_token is not None else None


def token_use_due(api_token: ApiToken, now: datetime) -> bool:
    """Whether this use is worth a write: "last used" is kept to the minute, not to the request."""
    return api_token.last_used_at is None or api_token.last_used_at <= now - TOKEN_USE_RESOLUTION


def record_api_token_use(session: Session, token_id: int, now: datetime) -> None:
    """Note that the token was used at ``now``, unless a use within the last minute is already noted
    (several workers answering the same script at once write once)."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def scope_location_ids(session: Session, user: User) -> set[int]:
    """Locations a user may see: all for an admin; for a manager the assigned
    locations and every location of the assigned offices."""
    if user.is_admin:
        return set(session.scalars(select(Location.id)))
    ids = {loc.id for loc in user.locations}
    office_ids = [office.id for office in user.offices]
    if office_ids:
        ids |= set(session.scalars(select(Location.id).where(Location.office_id.in_(office_ids))))
    return ids


def scope_office_ids(session: Session, user: User) -> set[int]:
    """Offices with at least one location in the user's scope."""
    ids = scope_location_ids(session, user)
    return set(session.scalars(select(Location.office_id).where(Location.id.in_(ids)).distinct())) if ids else set()


def resolve_locations(session: Session, user: User, codes: list[str]) -> list[int]:
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
        raise NotFound("Unknown location.", {"location": [f"Unknown: {', '.join(missing)}."]})
    return sorted(found.values())
