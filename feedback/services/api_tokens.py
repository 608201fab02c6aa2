"""Personal API tokens for the read API: make, list, revoke, and recognise one on a request."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from feedback.database import DbSession
from feedback.models import ApiToken, User
from feedback.models.devices import hash_token, new_token
from feedback.services import audit
from feedback.services.actors import Actor, SystemActor
from feedback.services.editing import fresh, text
from feedback.services.errors import Forbidden, InvalidInput, NotFound

# "Last used" of a personal API token is kept to the minute: at most one write a minute per token.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
NAME_MAX = 120


def own_tokens(session: DbSession, actor: User) -> list[ApiToken]:
    """The actor's tokens: active ones first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def create_token(session: DbSession, actor: Actor, name: str, *, owner: User | None = None) -> tuple[ApiToken, str]:
    """A personal API token of ``owner`` (default: the actor); the secret is returned once and only
    its hash is stored. Users make their own; only a system actor (the command line, run by someone
    with access to the server) makes one for another user."""
    holder = owner if owner is not None else actor
    if not isinstance(holder, User) or (holder is not actor and not isinstance(actor, SystemActor)):
        raise Forbidden(gettext("A token is made by its owner."))
    name = text(name)
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(
            gettext("The token was not made."),
            {"name": [gettext("Required, at most %(name_max)s characters.", name_max=NAME_MAX)]},
        )
    secret = new_token()
    token = ApiToken(user=holder, name=name, token_hash=hash_token(secret))
    session.add(token)
    session.flush()
    details: dict[str, object] = {"name": [None, name]}
    if holder is not actor:
        details["user"] = [None, holder.email]
    audit.record(session, actor, "api_token.create", "api_token", token.id, details)
    return token, secret


def revoke_token(session: DbSession, actor: User, now: datetime, token_id: int) -> dict[str, list[object]]:
    """Revoke one of the actor's own tokens; anyone else's is NotFound."""
    token = fresh(session, ApiToken, token_id, "token")
    if token.user_id != actor.id:
        raise NotFound(gettext("No such token."))
    if token.revoked_at is not None:
        return {}
    changed = audit.changes(token, {"revoked_at": now})
    audit.record(session, actor, "api_token.revoke", "api_token", token.id, changed)
    return changed


def revoke_all(session: DbSession, user: User, now: datetime) -> int:
    """Revoke the user's active tokens (a deactivated user); returns how many. The caller audits."""
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def find_api_token(session: DbSession, token: str | None) -> ApiToken | None:
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


def authenticate_api_token(session: DbSession, token: str | None) -> User | None:
    api_token = find_api_token(session, token)
    return api_token.user if api_token is not None else None


def token_use_due(api_token: ApiToken, now: datetime) -> bool:
    """Whether this use is worth a write: "last used" is kept to the minute, not to the request."""
    return api_token.last_used_at is None or api_token.last_used_at <= now - TOKEN_USE_RESOLUTION


def record_api_token_use(session: DbSession, token_id: int, now: datetime) -> None:
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
