"""Each location's phone-survey slug: create on demand, rotate, resolve."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import Location, SurveyLink

# 10 characters of a 32-letter alphabet without look-alikes: 50 bits, short enough to type.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SLUG_LENGTH = 10


def new_slug() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SLUG_LENGTH))


def active_link(session: DbSession, location: Location) -> SurveyLink | None:
    """The location's active link, or None before its first use (reads only)."""
    return session.scalar(
        select(SurveyLink).where(SurveyLink.location_id == location.id, SurveyLink.retired_at.is_(None))
    )


def current_link(session: DbSession, location: Location) -> SurveyLink:
    """The location's active link, made on first use (caller commits)."""
    link = active_link(session, location)
    if link is None:
        link = SurveyLink(location_id=location.id, slug=new_slug())
        session.add(link)
        session.flush()
    return link


def rotate(session: DbSession, location: Location, now: datetime) -> SurveyLink:
    """Retire the active slug (it then shows "no longer in use") and make a new one. Callers
    change a location through ``locations.rotate_link``, which audits it."""
    for link in session.scalars(
        select(SurveyLink).where(SurveyLink.location_id == location.id, SurveyLink.retired_at.is_(None))
    ):
        link.retired_at = now
    session.flush()
    link = SurveyLink(location_id=location.id, slug=new_slug())
    session.add(link)
    session.flush()
    return link


@dataclass(frozen=True)
class Resolved:
    state: str  # "active", "retired", "inactive" (location switched off) or "unknown"
    location: Location | None = None


def resolve(session: DbSession, slug: str) -> Resolved:
    if len(slug) > 64:
        return Resolved("unknown")
    link = session.scalar(
        select(SurveyLink)
        .options(joinedload(SurveyLink.location).joinedload(Location.office))
        .where(SurveyLink.slug == slug)
    )
    if link is None:
        return Resolved("unknown")
    if link.retired_at is not None:
        return Resolved("retired", link.location)
    if not link.location.active:
        return Resolved("inactive", link.location)
    return Resolved("active", link.location)
