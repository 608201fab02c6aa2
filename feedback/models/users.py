"""Admin-site users, their location scope and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location, Office

ROLES = ("admin", "manager")

user_locations = Table(
    "user_locations",
    Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)

user_offices = Table(
    "user_offices",
    Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sign-in throttling: after 5 failures each further one doubles the wait (services/auth.py).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session cookie's user id; raising it ends all of the user's sessions at once
    # (sign-out, password, role change, deactivation: services/auth.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # A manager sees these locations and every location of these offices.
    locations: Mapped[list[Location]] = relationship(secondary=user_locations)
    offices: Mapped[list[Office]] = relationship(secondary=user_offices)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot sign in
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the id and the session version."""
        return f"{self.id}:{self.session_version}"


class SignInThrottle(Model):
    """Failed sign-ins of an e-mail address that has no account, counted as an account's own are.

    Without it, an account's lock ("Too many failed attempts") would tell an attacker that the
    address has an account, since an unknown address would never lock. Keyed by the SHA-256 of
    the normalised address (no address is stored); rows a day past their last failure are purged.
    """

    __tablename__ = "sign_in_throttles"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiToken(Model):
    """A personal token for the read API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
