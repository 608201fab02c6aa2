"""Answers per visitor language: how much each language offered at a counter is used.

The rollups (feedback.services.tally) keep no language, and adding one would multiply their rows by
seven for one small table, so this is one grouped count over the location's raw responses in the
range, along the (location, client time) index.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from feedback.database import DbSession
from feedback.i18n import LANGUAGES
from feedback.models import Location, Response
from feedback.services.responses_query import utc_bounds


def answers_by_language(
    session: DbSession, location: Location, start: date, end: date, *, channel: str | None = None
) -> dict[str, int]:
    """Responses of ``start..end`` (the office's local dates) per language, as the scores count them:
    neither suspect nor marked spam. Known languages first in ``LANGUAGES`` order, none with 0."""
    lo, hi = utc_bounds(ZoneInfo(location.office.timezone), start, end)
    filters = [
        Response.location_id == location.id,
        Response.client_time >= lo,
        Response.client_time < hi,
        Response.suspect.is_(False),
        Response.comment_state.is_distinct_from("spam"),
    ]
    if channel:
        filters.append(Response.channel == channel)
    rows = session.execute(select(Response.language, func.count()).where(*filters).group_by(Response.language)).all()
    counts = {language: int(n) for language, n in rows}
    order = [code for code in LANGUAGES if code in counts] + sorted(set(counts) - set(LANGUAGES))
    return {code: counts[code] for code in order}
