"""A phone answer completed or corrected after it was stored: the same response, updated in place.

The phone survey stores the rating the moment it is chosen; the follow-up chips, the comment
or a corrected rating then update that same response (same id). An update sets the answer
(so sending it twice changes nothing), only for the phone that made the response (the ids its
signed cookie names), only within ``window`` of the response's arrival, and never once the
office has reviewed its comment. The rollups stay equal to the responses: the old answer is
taken out (``sign=-1``) and the new one put in (``sign=+1``) in the same transaction; after the
commit, an answer that counts differently is announced (``announce.responses_stored``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from feedback.database import DbSession, write_transaction
from feedback.models import Location, Office, Response, SurveyVersion
from feedback.scales import SCALES, polarity
from feedback.services import rollups
from feedback.services.announce import LocationRef, StoredResponse, responses_stored
from feedback.services.errors import InvalidInput, ServiceError
from feedback.services.ingest import payload_hash

KEEP = object()  # leave this part of the answer as it is


class NotYours(ServiceError):
    """The id is not one this phone made here (a forged or foreign id)."""

    status = 403
    title = "Forbidden"


class Closed(ServiceError):
    """The answer can no longer be changed: too late, or the office has reviewed its comment."""

    status = 409
    title = "Conflict"


@dataclass(frozen=True)
class Change:
    """The answer's new parts; ``KEEP`` leaves a part as stored. Chips are kept only while the
    rating stays on the same side: a chip means something else after the other wording."""

    rating: int
    followup_chosen: list[str] | object = KEEP
    comment: str | object | None = KEEP  # already scrubbed


def update(
    session: DbSession,
    location: Location,
    response_id: uuid.UUID,
    change: Change,
    *,
    mine: Collection[uuid.UUID],
    now: datetime,
    window: timedelta,
) -> StoredResponse:
    """Apply ``change`` to the phone answer ``response_id`` of ``location``, made by this phone (``mine``).

    Raises :class:`NotYours` (nothing changes for a forged id, whoever's response it names),
    :class:`Closed`, or :class:`InvalidInput` for a rating or chips off the answer's survey version.
    """
    if response_id not in mine:
        raise _not_yours()
    with write_transaction(session):
        found = session.execute(
            select(Response, SurveyVersion, Office.timezone)
            .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
            .join(Location, Location.id == Response.location_id)
            .join(Office, Office.id == Location.office_id)
            .where(Response.id == response_id)
            .with_for_update(of=Response.__table__)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if found is None:
            raise _not_yours()
        response, version, zone = found.Response, found.SurveyVersion, ZoneInfo(found.timezone)
        refused = refusal(response, location, now, window)
        if refused is not None:
            raise refused
        chosen = _chosen(response, version, change)
        before = _fact(response, version.scale, zone)
        response.rating = change.rating
        response.followup_chosen = chosen
        if change.comment is not KEEP:
            response.comment = change.comment
            response.comment_state = "open" if change.comment else None
        after = _fact(response, version.scale, zone)
        # A pending answer (services/fold.py) is not in the rollups yet: the fold counts it as it is.
        counts_differently = after != before and not response.pending
        if counts_differently:
            rollups.apply(session, [before], sign=-1)
            rollups.apply(session, [after], sign=1)
        response.payload_hash = payload_hash(
            {
                "id": response.id,
                "rating": response.rating,
                "language": response.language,
                "client_time": response.client_time,
                "survey_version": version.id,
                "followup_offered": response.followup_offered,
                "followup_chosen": chosen,
                "comment": response.comment,
            }
        )
        columns = {c.key: getattr(response, c.key) for c in Response.__table__.columns}
        updated = StoredResponse.of(columns, version.scale, LocationRef(location.id, location.code))
    if counts_differently:
        responses_stored(session, [updated], now)
    return updated


def refusal(response: Response, location: Location, now: datetime, window: timedelta) -> ServiceError | None:
    """Why ``response`` cannot be changed from ``location``'s phone survey now, or None if it can."""
    if response.location_id != location.id or response.channel != "qr":
        return _not_yours()
    if now - response.received_at > window:
        return Closed("This answer can no longer be changed.", {"id": ["The time to change it has passed."]})
    if response.comment_state not in (None, "open"):
        return Closed("This answer can no longer be changed.", {"id": ["The office has reviewed it."]})
    return None


def _not_yours() -> NotYours:
    return NotYours("This answer was not made on this phone.", {"id": ["Not an answer of this phone."]})


def _chosen(response: Response, version: SurveyVersion, change: Change) -> list[str]:
    scale = SCALES[version.scale]
    if not scale.valid(change.rating):
        raise InvalidInput(
            "The rating is not on the survey's scale.",
            {"rating": [f"Must be between 1 and {scale.points} for this survey's scale."]},
        )
    if change.followup_chosen is KEEP:
        same_side = polarity(scale, change.rating) == polarity(scale, response.rating)
        return list(response.followup_chosen or ()) if same_side else []
    wanted = set(cast(Collection[str], change.followup_chosen))
    return [choice for choice in response.followup_offered or () if choice in wanted]


def _fact(response: Response, scale: str, zone: ZoneInfo) -> rollups.Fact:
    return rollups.Fact.of(response, zone, scale)
