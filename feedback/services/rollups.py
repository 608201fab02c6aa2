"""Keep ``response_hourly`` and ``followup_daily`` equal to the sum of the responses.

Every write path (ingest, demo loader, the comment inbox's spam marks) calls :func:`apply`
inside its own transaction with the responses it adds (+1) or takes out (-1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedback.models import FollowupDaily, Location, Office, Response, ResponseHourly, SurveyVersion
from feedback.models.rollups import RATING_COLUMNS
from feedback.scales import SCALES, polarity


@dataclass(frozen=True)
class Fact:
    """What the rollups need to know of one response."""

    location_id: int
    tz: ZoneInfo
    client_time: datetime
    channel: str
    scale: str
    suspect: bool
    rating: int
    followup_offered: tuple[str, ...] = ()
    followup_chosen: tuple[str, ...] = ()


@lru_cache(maxsize=8)
def _upsert_statement(dialect: str, model, key_cols: tuple[str, ...], add_cols: tuple[str, ...]):
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET col = col + excluded.col``, built once per dialect."""
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    stmt = insert(model)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={col: getattr(model, col) + getattr(stmt.excluded, col) for col in add_cols},
    )


def _upsert(session: Session, model, rows: list[dict], key_cols: tuple[str, ...], add_cols: tuple[str, ...]):
    if not rows:
        return
    stmt = _upsert_statement(session.get_bind().dialect.name, model, key_cols, add_cols)
    # Sorted so concurrent writers lock rollup rows in the same order (no deadlocks).
    rows.sort(key=lambda r: tuple(r[c] for c in key_cols))
    session.execute(stmt, rows)


HOURLY_KEY = ("location_id", "local_date", "local_hour", "channel", "scale", "suspect")
HOURLY_ADD = ("n", "rating_sum", *RATING_COLUMNS)
FOLLOWUP_KEY = ("location_id", "local_date", "channel", "suspect", "polarity", "choice")
FOLLOWUP_ADD = ("offered", "chosen")


def apply(session: Session, facts: Iterable[Fact], sign: int = 1) -> None:
    """Add (``sign=1``) or remove (``sign=-1``) responses from the rollups."""
    hourly: dict[tuple, dict] = {}
    followups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for fact in facts:
        local = fact.client_time.astimezone(fact.tz)
        day: date = local.date()
        key = (fact.location_id, day, local.hour, fact.channel, fact.scale, fact.suspect)
        row = hourly.get(key)
        if row is None:
            row = dict(zip(HOURLY_KEY, key), weekday=day.weekday(), **dict.fromkeys(HOURLY_ADD, 0))
            hourly[key] = row
        row["n"] += sign
        row["rating_sum"] += sign * fact.rating
        row[RATING_COLUMNS[fact.rating - 1]] += sign
        side = polarity(SCALES[fact.scale], fact.rating)
        chosen = set(fact.followup_chosen)
        for choice in fact.followup_offered:
            counts = followups[(fact.location_id, day, fact.channel, fact.suspect, side, choice)]
            counts[0] += sign
            counts[1] += sign * (choice in chosen)
    _upsert(session, ResponseHourly, list(hourly.values()), HOURLY_KEY, HOURLY_ADD)
    _upsert(
        session,
        FollowupDaily,
        [dict(zip(FOLLOWUP_KEY, key), offered=o, chosen=c) for key, (o, c) in followups.items()],
        FOLLOWUP_KEY,
        FOLLOWUP_ADD,
    )


def rebuild(session: Session, chunk: int = 5000) -> int:
    """Recompute both rollups from ``responses`` but spam (repair tool; caller commits). Returns responses read."""
    session.execute(delete(ResponseHourly))
    session.execute(delete(FollowupDaily))
    zones = {
        loc_id: ZoneInfo(tz)
        for loc_id, tz in session.execute(select(Location.id, Office.timezone).join(Location.office))
    }
    scales = dict(session.execute(select(SurveyVersion.id, SurveyVersion.scale)).all())
    query = (
        select(
            Response.location_id,
            Response.client_time,
            Response.channel,
            Response.survey_version_id,
            Response.suspect,
            Response.rating,
            Response.followup_offered,
            Response.followup_chosen,
        )
        .where(
            Response.comment_state.is_distinct_from("spam")  # spam counts nowhere (services/comments.py)
        )
        .execution_options(yield_per=chunk)
    )
    total = 0
    for part in session.execute(query).partitions():
        apply(
            session,
            (
                Fact(
                    r.location_id,
                    zones[r.location_id],
                    r.client_time,
                    r.channel,
                    scales[r.survey_version_id],
                    r.suspect,
                    r.rating,
                    tuple(r.followup_offered or ()),
                    tuple(r.followup_chosen or ()),
                )
                for r in part
            ),
        )
        total += len(part)
    return total
