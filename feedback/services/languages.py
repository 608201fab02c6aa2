"""Answers per visitor language: how much each language offered at a counter is used.

Read from ``language_daily``, a rollup kept by ``services.rollups`` with the others (local dates of
the office's zone, suspects and spam out), so the count costs the days asked, not the responses
stored, and agrees with the page's other figures.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from feedback.database import DbSession
from feedback.i18n import LANGUAGES
from feedback.models import LanguageDaily, Location
from feedback.services import tally


def answers_by_language(
    session: DbSession, location: Location, start: date, end: date, *, channel: str | None = None
) -> dict[str, int]:
    """Responses of ``start..end`` (the office's local dates) per language, as the scores count them:
    neither suspect nor marked spam. Known languages first in ``LANGUAGES`` order, none with 0."""
    tally.catch_up(session, [location.id])
    filters = [
        LanguageDaily.location_id == location.id,
        LanguageDaily.local_date >= start,
        LanguageDaily.local_date <= end,
        LanguageDaily.suspect.is_(False),
    ]
    if channel:
        filters.append(LanguageDaily.channel == channel)
    total = func.sum(LanguageDaily.n)
    rows = session.execute(
        select(LanguageDaily.language, total).where(*filters).group_by(LanguageDaily.language).having(total != 0)
    ).all()
    counts = {language: int(n) for language, n in rows}
    order = [code for code in LANGUAGES if code in counts] + sorted(set(counts) - set(LANGUAGES))
    return {code: counts[code] for code in order}
