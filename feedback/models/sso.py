"""Single sign-on: which identity-provider group gives which role (services/sso.py applies it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Office

sso_group_offices = Table(
    "sso_group_offices",
    Model.metadata,
    Column("group_role_id", ForeignKey("sso_group_roles.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)


class SsoGroupRole(Model):
    """A group name as the provider's groups claim carries it, and the role it gives: ``admin``,
    or ``manager`` of the offices listed. Applied at every sign-in and every re-check."""

    __tablename__ = "sso_group_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offices: Mapped[list[Office]] = relationship(secondary=sso_group_offices, order_by="Office.name")
