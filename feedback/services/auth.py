"""Admin sign-in with throttling, and password changes (the rules: docs/ARCHITECTURE.md, "Sign-in")."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from flask_babel import gettext, ngettext
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.database import DbSession, insert_for, write_transaction
from feedback.models import SignInThrottle, User
from feedback.services import audit
from feedback.services.actors import SystemActor
from feedback.services.errors import InvalidInput, ServiceError

FREE_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
THROTTLE_MEMORY = timedelta(days=1)  # how long an unknown address's failures are remembered
# Compared against when the e-mail is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Who the audit log names for a refused password: nobody is known to have signed in.
SIGN_IN_FORM = SystemActor("sign-in form")


class SignInRefused(ServiceError):
    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


def delay_after(failures: int) -> timedelta:
    """How long the account stays locked after its ``failures``-th failure in a row."""
    if failures <= FREE_ATTEMPTS:
        return timedelta(0)
    # Cap the exponent too: a long slow attack would otherwise overflow timedelta (an error
    # instead of a lock, which would let every further guess through unthrottled).
    return min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - FREE_ATTEMPTS - 1, 16))


def seconds(n: int) -> str:
    return ngettext("%(num)d second", "%(num)d seconds", n)


def sign_in(session: DbSession, email: str, password: str, *, now: datetime) -> User:
    address = email.strip().lower()
    # 1. Read the account (or the unknown address's count) and refuse a locked one: no write yet.
    user = session.scalar(select(User).where(User.email == address))
    counter: User | SignInThrottle | None = user if user is not None else session.get(SignInThrottle, _digest(address))
    _refuse_if_locked(counter, now)
    # 2. The slow hash check, outside any transaction. An unknown address costs the same check,
    # so neither the answers nor their timing tell whether the account exists.
    checked_hash = user.password_hash if user is not None else _DUMMY_HASH
    session.rollback()  # end the read: nothing is held while hashing
    ok = check_password_hash(checked_hash, password) and user is not None
    # 3. Record the outcome under the row lock.
    with write_transaction(session):
        user = session.scalar(
            select(User).where(User.email == address).with_for_update().execution_options(populate_existing=True)
        )
        counter = user if user is not None else _throttle(session, address, now)
        # A lock set by a parallel guess meanwhile wins; so does a password changed meanwhile.
        refusal = _locked_for(counter, now)
        if refusal is None and ok and user is not None and user.active and user.password_hash == checked_hash:
            user.failed_logins = 0
            user.locked_until = None
            audit.record(session, user, "user.sign_in", "user", user.id, {"method": "password"})
            return user
        if refusal is None:
            counter.failed_logins += 1
            delay = delay_after(counter.failed_logins)
            counter.locked_until = now + delay if delay else None
            refusal = SignInRefused(gettext("Wrong e-mail or password."))
            if user is not None:
                # Failures on a real account are audited (what was typed for an unknown address is
                # not: it may be a password typed in the wrong field); locked-out tries are not
                # written at all, so a guessing robot cannot fill the log.
                reason = "deactivated" if ok and not user.active else "wrong password"
                details = {"method": "password", "reason": reason, "failures": counter.failed_logins}
                if counter.locked_until is not None:
                    details["locked_until"] = counter.locked_until
                audit.record(session, SIGN_IN_FORM, "user.sign_in_refused", "user", user.id, details)
    raise refusal  # after the commit: the failure stays counted


def _locked_for(counter: User | SignInThrottle | None, now: datetime) -> SignInRefused | None:
    if counter is not None and counter.locked_until and counter.locked_until > now:
        wait = math.ceil((counter.locked_until - now).total_seconds())
        return SignInRefused(
            gettext("Too many failed attempts. Try again in %(value)s.", value=seconds(wait)), retry_after=wait
        )
    return None


def _refuse_if_locked(counter: User | SignInThrottle | None, now: datetime) -> None:
    refusal = _locked_for(counter, now)
    if refusal:
        raise refusal


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def _throttle(session: DbSession, address: str, now: datetime) -> SignInThrottle:
    """The failure count of an address without an account, locked for this transaction."""
    digest = _digest(address)
    # Forget addresses that have not failed for a day (an attacker's list of guesses).
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - THROTTLE_MEMORY))
    session.execute(
        insert_for(session.get_bind().dialect.name, SignInThrottle)
        .values(email_digest=digest, failed_logins=0, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["email_digest"])
    )
    counter = session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.email_digest == digest)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()  # the row the INSERT above made sure of
    counter.last_failure_at = now
    return counter


def change_password(session: DbSession, user: User, current: str, new: str) -> User:
    """Set a new password and end every session of the user (the caller signs this one in again).
    Both slow hashes run before the write transaction."""
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput(
            gettext("The current password is wrong."), {"current_password": [gettext("Wrong password.")]}
        )
    if len(new) < 10:
        raise InvalidInput(
            gettext("The new password is too short."), {"new_password": [gettext("At least 10 characters.")]}
        )
    new_hash = generate_password_hash(new)
    with write_transaction(session):
        fresh = session.get_one(User, user.id, with_for_update=True, populate_existing=True)
        fresh.password_hash = new_hash
        end_sessions(fresh)
    return fresh


def end_sessions(user: User) -> None:
    """End every session of ``user`` (in the caller's transaction): their cookies stop working."""
    user.session_version = (user.session_version or 0) + 1


def sign_out(session: DbSession, user: User) -> None:
    """Sign the user out everywhere: this session and any copy of its cookie."""
    with write_transaction(session):
        end_sessions(session.get_one(User, user.id, with_for_update=True, populate_existing=True))


def session_user(session: DbSession, session_id: str) -> User | None:
    """The active user a session cookie's id (``"<id>:<session version>"``) names, or None when
    the id is malformed, the user is gone or inactive, or the version has moved on."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 10 or len(version) > 10:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
