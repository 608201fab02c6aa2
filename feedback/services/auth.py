"""Admin sign-in with throttling, and password changes.

5 failed attempts on an account are free; each further failure locks it for a
doubling wait (the 6th for 30 s, the 7th for 60 s, then 2 min, ... up to an
hour) during which the account refuses sign-in even with the right password; a
success resets the count. No answer says whether the e-mail has an account: an
unknown address is counted and locked the same way (``SignInThrottle``).

The account row is read and updated under a row lock (``FOR UPDATE`` on
PostgreSQL; SQLite's write transaction already locks the database), so
parallel guesses cannot overwrite each other's count and get free attempts.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.database import write_transaction
from feedback.models import SignInThrottle, User
from feedback.services.errors import InvalidInput, ServiceError
from feedback.sqltypes import utcnow

FREE_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
THROTTLE_MEMORY = timedelta(days=1)  # how long an unknown address's failures are remembered
# Compared against when the e-mail is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def sign_in(session: Session, email: str, password: str, *, now: datetime | None = None) -> User:
    now = now or utcnow()
    address = email.strip().lower()
    with write_transaction(session):
        user = session.scalar(select(User).where(User.email == address).with_for_update())
        # An unknown address is counted and locked like an account, so neither the answers
        # nor their timing (one hash check either way) tell whether the account exists.
        counter = user if user is not None else _throttle(session, address, now)
        if counter.locked_until and counter.locked_until > now:
            wait = math.ceil((counter.locked_until - now).total_seconds())
            raise SignInRefused(f"Too many failed attempts. Try again in {_seconds(wait)}.", retry_after=wait)
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            ok = False
        else:
            ok = check_password_hash(user.password_hash, password) and user.active
        if not ok:
            counter.failed_logins += 1
            delay = delay_after(counter.failed_logins)
            counter.locked_until = now + delay if delay else None
            refusal = SignInRefused("Wrong e-mail or password.")
        else:
            user.failed_logins = 0
            user.locked_until = None
            refusal = None
    if refusal:
        raise refusal
    return user


def _throttle(session: Session, address: str, now: datetime) -> SignInThrottle:
    """The failure count of an address without an account, locked for this transaction."""
    digest = hashlib.sha256(address.encode()).hexdigest()
    # Forget addresses that have not failed for a day (an attacker's list of guesses).
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - THROTTLE_MEMORY))
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]
    session.execute(
        insert(SignInThrottle)
        .values(email_digest=digest, failed_logins=0, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["email_digest"])
    )
    counter = session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.email_digest == digest)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_failure_at = now
    return counter


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", {"current_password": ["Wrong password."]})
    if len(new) < 10:
        raise InvalidInput("The new password is too short.", {"new_password": ["At least 10 characters."]})
    with write_transaction(session):
        session.get(User, user.id).password_hash = generate_password_hash(new)
