"""Admin sign-in with throttling, and password changes.

5 failed attempts on an account are free; each further failure locks it for a
doubling wait (the 6th for 30 s, the 7th for 60 s, then 2 min, ... up to an
hour) during which the account refuses sign-in even with the right password; a
success resets the count. The wrong-password answer never says whether the
e-mail exists.

The account row is read and updated under a row lock (``FOR UPDATE`` on
PostgreSQL; SQLite's write transaction already locks the database), so
parallel guesses cannot overwrite each other's count and get free attempts.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.database import write_transaction
from feedback.models import User
from feedback.services.errors import InvalidInput, ServiceError
from feedback.sqltypes import utcnow

FREE_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
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
    with write_transaction(session):
        user = session.scalar(select(User).where(User.email == email.strip().lower()).with_for_update())
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            raise SignInRefused("Wrong e-mail or password.")
        if user.locked_until and user.locked_until > now:
            wait = math.ceil((user.locked_until - now).total_seconds())
            raise SignInRefused(f"Too many failed attempts. Try again in {_seconds(wait)}.", retry_after=wait)
        if not user.active or not check_password_hash(user.password_hash, password):
            user.failed_logins += 1
            delay = delay_after(user.failed_logins)
            user.locked_until = now + delay if delay else None
            refusal = SignInRefused("Wrong e-mail or password.")
        else:
            user.failed_logins = 0
            user.locked_until = None
            refusal = None
    if refusal:
        raise refusal
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", {"current_password": ["Wrong password."]})
    if len(new) < 10:
        raise InvalidInput("The new password is too short.", {"new_password": ["At least 10 characters."]})
    with write_transaction(session):
        session.get(User, user.id).password_hash = generate_password_hash(new)
