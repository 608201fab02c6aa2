"""The phone (QR) survey: store an answer, remember repeat visitors, count dropped posts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedback.database import write_transaction
from feedback.models import DroppedSubmission, Location, SurveyVersion
from feedback.services import ingest
from feedback.services.errors import InvalidInput
from feedback.services.scrub import clean_comment
from feedback.sqltypes import utcnow

REPEAT_WINDOW = timedelta(minutes=10)
COMMENT_MAX = 500


def is_repeat(answered: dict, location_id: int, now: datetime, window: timedelta = REPEAT_WINDOW) -> bool:
    """Whether this phone answered at this location within ``window`` (from its signed cookie)."""
    last = answered.get(str(location_id))
    return last is not None and 0 <= now.timestamp() - float(last) < window.total_seconds()


def remember(answered: dict, location_id: int, now: datetime, window: timedelta = REPEAT_WINDOW) -> dict:
    """The cookie's new content: this answer added, entries older than the window dropped."""
    fresh = {k: v for k, v in answered.items() if now.timestamp() - float(v) < window.total_seconds()}
    fresh[str(location_id)] = now.timestamp()
    return fresh


def answered_version(session: Session, location: Location, version_id: int | None, rating: int) -> SurveyVersion:
    """The survey version the visitor answered: the one their page named, else the current one.

    A page opened before the survey was edited keeps its version (its follow-up choices and
    scale), as a kiosk's cached config does. Raises :class:`InvalidInput` for a version of
    another survey or a rating off the version's scale.
    """
    current = location.survey.current_version()
    version = current
    if version_id is not None and version_id != current.id:
        version = session.scalar(
            select(SurveyVersion).where(SurveyVersion.id == version_id, SurveyVersion.survey_id == location.survey_id)
        )
        if version is None:
            raise InvalidInput(
                "The answer names an unknown survey version.",
                {"survey_version": ["Not a version of this location's survey."]},
            )
    if not version.scale_def.valid(rating):
        raise InvalidInput(
            "The rating is not on the survey's scale.",
            {"rating": [f"Must be between 1 and {version.scale_def.points} for this survey's scale."]},
        )
    return version


def submit(
    session: Session,
    location: Location,
    *,
    response_id: uuid.UUID,
    rating: int,
    language: str,
    survey_version: int | None,
    followup_offered: list[str],
    followup_chosen: list[str],
    comment: str | None,
    repeat: bool,
    policy: ingest.IngestPolicy = ingest.IngestPolicy(),
    now: datetime | None = None,
) -> ingest.ItemResult:
    """Validate and store one phone answer; the comment is scrubbed before anything else sees it."""
    now = now or utcnow()
    item = {
        "id": response_id,
        "rating": rating,
        "language": language,
        "client_time": now,
        "survey_version": survey_version,
        "followup_offered": followup_offered,
        "followup_chosen": followup_chosen,
        "comment": clean_comment(comment, COMMENT_MAX),
    }
    return ingest.ingest_phone(session, location, item, repeat=repeat, policy=policy, now=now)


def count_dropped(session: Session, location: Location, reason: str, now: datetime | None = None) -> None:
    """Count a post that was dropped without storing (a filled honeypot, say)."""
    now = now or utcnow()
    row = {
        "location_id": location.id,
        "local_date": now.astimezone(location.office.tz).date(),
        "reason": reason,
        "count": 1,
    }
    with write_transaction(session):
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]
        stmt = insert(DroppedSubmission).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["location_id", "local_date", "reason"],
            set_={"count": DroppedSubmission.count + 1},
        )
        session.execute(stmt)
