"""The phone (QR) survey: store an answer, then complete or correct it; remember repeat visitors
and the phone's own answers (its signed cookie); count dropped posts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from feedback.database import DbSession, write_transaction
from feedback.models import DroppedSubmission, Location, Response, SurveyVersion
from feedback.services import followup_update, ingest
from feedback.services.errors import Conflict, InvalidInput
from feedback.services.scrub import clean_comment
from feedback.sqltypes import utcnow

REPEAT_WINDOW = timedelta(minutes=10)
UPDATE_WINDOW = timedelta(minutes=30)
# How long the cookie names the phone's answers: longer than any update window, so a late
# update of its own answer is told "too late", not taken for a forged id.
OWN_MEMORY = timedelta(days=1)
COMMENT_MAX = 500
DEFAULT_POLICY = ingest.IngestPolicy()


def is_repeat(answered: dict, location_id: int, now: datetime, window: timedelta = REPEAT_WINDOW) -> bool:
    """Whether this phone answered at this location within ``window`` (from its signed cookie)."""
    last = answered.get(str(location_id))
    return last is not None and 0 <= now.timestamp() - float(last) < window.total_seconds()


def remember(answered: dict, location_id: int, now: datetime, window: timedelta = REPEAT_WINDOW) -> dict:
    """The cookie's new content: this answer added, entries older than the window dropped."""
    fresh = {k: v for k, v in answered.items() if now.timestamp() - float(v) < window.total_seconds()}
    fresh[str(location_id)] = now.timestamp()
    return fresh


def mine(own: dict, location_id: int, now: datetime) -> set[uuid.UUID]:
    """The answer this phone made at this location (its cookie names it, for OWN_MEMORY): the one
    it may complete or correct, if :func:`followup_update.refusal` allows it still."""
    entry = own.get(str(location_id))
    try:
        response_id, made = uuid.UUID(entry[0]), float(entry[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return set()
    return {response_id} if 0 <= now.timestamp() - made < OWN_MEMORY.total_seconds() else set()


def remember_mine(own: dict, location_id: int, response_id: uuid.UUID, now: datetime) -> dict:
    """The cookie's new content: this location's latest answer, entries older than OWN_MEMORY dropped."""
    fresh = {k: v for k, v in own.items() if k.isdigit() and mine(own, int(k), now)}
    if str(response_id) != (fresh.get(str(location_id)) or [None])[0]:
        fresh[str(location_id)] = [str(response_id), now.timestamp()]
    return fresh


def open_answer(
    session: DbSession, location: Location, own: dict, now: datetime, window: timedelta = UPDATE_WINDOW
) -> tuple[Response, SurveyVersion] | None:
    """The answer this phone gave here and can still complete (a page reopened), with its survey
    version; or None."""
    for response_id in mine(own, location.id, now):
        response = session.get(Response, response_id)
        if response is not None and followup_update.refusal(response, location, now, window) is None:
            return response, session.get(SurveyVersion, response.survey_version_id)
    return None


def answered_version(session: DbSession, location: Location, version_id: int | None, rating: int) -> SurveyVersion:
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
    session: DbSession,
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
    policy: ingest.IngestPolicy = DEFAULT_POLICY,
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


@dataclass
class Saved:
    response: Response
    created: bool
    result: ingest.ItemResult | None = None  # when created: for the alert rules


def save_answer(
    session: DbSession,
    location: Location,
    version: SurveyVersion,
    *,
    response_id: uuid.UUID,
    step: str,
    rating: int,
    language: str,
    choices: Collection[str],
    comment: str | None,
    mine: Collection[uuid.UUID],
    repeat: bool,
    policy: ingest.IngestPolicy,
    now: datetime,
    window: timedelta = UPDATE_WINDOW,
) -> Saved:
    """Store a phone answer the first time its page posts; complete or correct it after that.

    ``step`` is ``rate`` (a face was chosen: the rating alone), ``send`` (the chips and the comment)
    or ``skip`` (no more: the chips chosen are kept, a comment is only ever stored by Send). Later
    posts of the same page update that response (:func:`followup_update.update`), for this phone
    (``mine``) only.
    """
    offered = list(version.followup_choices or ())
    chosen = [choice for choice in offered if choice in set(choices)]
    if session.scalar(select(Response.id).where(Response.id == response_id)) is None:
        try:
            result = submit(
                session,
                location,
                response_id=response_id,
                rating=rating,
                language=language,
                survey_version=version.id,
                followup_offered=offered,
                followup_chosen=[] if step == "rate" else chosen,
                comment=comment if step == "send" else None,
                repeat=repeat,
                policy=policy,
                now=now,
            )
            return Saved(result.response, result.created, result)
        except Conflict:
            pass  # this page's other post was stored meanwhile: this one updates it
    change = followup_update.Change(
        rating=rating,
        followup_chosen=followup_update.KEEP if step == "rate" else chosen,
        comment=clean_comment(comment, COMMENT_MAX) if step == "send" else followup_update.KEEP,
    )
    response = followup_update.update(session, location, response_id, change, mine=mine, now=now, window=window)
    return Saved(response, False)


def count_dropped(session: DbSession, location: Location, reason: str, now: datetime | None = None) -> None:
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
