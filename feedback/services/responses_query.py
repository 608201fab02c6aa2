"""Raw responses for a set of locations and local dates, in pages (read API, exports)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import Location, Office, Response
from feedback.services.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_bounds(tz: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at ``start`` and after ``end``."""
    return (datetime.combine(start, time(0), tz), datetime.combine(end + timedelta(days=1), time(0), tz))


class Keyed(Protocol):
    """What a page is ordered by: a response, or an item made of one."""

    @property
    def client_time(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


def encode_cursor(response: Keyed) -> str:
    """URL-safe keyset cursor: microseconds since the epoch and the id."""
    micros = (response.client_time - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{response.id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        micros, _, ident = cursor.partition("_")
        return EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=ident)
    except (ValueError, OverflowError):
        raise InvalidInput("Invalid cursor.", {"after": ["Use the next_cursor of a previous page."]}) from None


def list_responses(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    limit: int = 100,
    after: str | None = None,
    include_spam: bool = False,
) -> tuple[list[Response], str | None]:
    """Responses whose client time falls on ``start..end`` in their office's time zone.

    Ordered by client time then id; returns ``(rows, next_cursor)``, the cursor
    being None on the last page. Responses whose comment was marked spam are left out
    unless ``include_spam`` (they count in no score either, services/comments.py).
    """
    by_zone: dict[str, list[int]] = defaultdict(list)
    for loc_id, tz in session.execute(
        select(Location.id, Office.timezone).join(Location.office).where(Location.id.in_(location_ids))
    ):
        by_zone[tz].append(loc_id)
    if not by_zone:
        return [], None
    windows = []
    for tz, ids in by_zone.items():
        lo, hi = utc_bounds(ZoneInfo(tz), start, end)
        windows.append(and_(Response.location_id.in_(ids), Response.client_time >= lo, Response.client_time < hi))
    query = select(Response).options(joinedload(Response.location)).where(or_(*windows))
    if channel:
        query = query.where(Response.channel == channel)
    if not include_spam:
        query = query.where(Response.comment_state.is_distinct_from("spam"))
    if after:
        moment, ident = decode_cursor(after)
        query = query.where(
            or_(Response.client_time > moment, and_(Response.client_time == moment, Response.id > ident))
        )
    rows = list(session.scalars(query.order_by(Response.client_time, Response.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
