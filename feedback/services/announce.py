"""What the write services announce after their commit (responses stored, responses waiting for the
fold), and who listens."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback.database import DbSession

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocationRef:
    id: int
    code: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """One response as it was stored (or, for a phone answer changed in place, as it is now);
    plain values, so it reads the same whatever the session does after the commit."""

    id: uuid.UUID
    location: LocationRef
    survey_version_id: int
    scale: str  # the version's scale key, so a listener tells negative from positive without a query
    device_id: int | None
    channel: str
    rating: int
    followup_offered: tuple[str, ...]
    followup_chosen: tuple[str, ...]
    language: str
    client_time: datetime
    received_at: datetime
    suspect: bool
    comment: str | None

    @property
    def location_id(self) -> int:
        return self.location.id

    @classmethod
    def of(cls, row: Mapping[Any, Any], scale: str, location: LocationRef) -> StoredResponse:
        """From a row of ``responses`` (a mapping of its columns)."""
        return cls(
            id=row["id"],
            location=location,
            survey_version_id=row["survey_version_id"],
            scale=scale,
            device_id=row["device_id"],
            channel=row["channel"],
            rating=row["rating"],
            followup_offered=tuple(row["followup_offered"] or ()),
            followup_chosen=tuple(row["followup_chosen"] or ()),
            language=row["language"],
            client_time=row["client_time"],
            received_at=row["received_at"],
            suspect=row["suspect"],
            comment=row["comment"],
        )


@dataclass(frozen=True, slots=True)
class Stored:
    """The announcement: responses that a committed transaction stored or changed, at ``now``."""

    responses: tuple[StoredResponse, ...]
    now: datetime

    @property
    def location_ids(self) -> frozenset[int]:
        return frozenset(r.location_id for r in self.responses)


Listener = Callable[[DbSession, Stored], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Call ``listener(session, stored)`` after every commit that stores responses (once, however
    often it subscribes)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def responses_stored(session: DbSession, responses: Sequence[StoredResponse], now: datetime) -> None:
    """Tell every listener; call it after the commit. A listener's error is logged and dropped
    (its transaction rolled back): what was stored stands."""
    if not responses:
        return
    stored = Stored(tuple(responses), now)
    for listener in list(_listeners):
        try:
            listener(session, stored)
        except Exception:
            session.rollback()
            log.exception("A listener failed after %d response(s) were stored; they stand", len(responses))


PendingListener = Callable[[DbSession], None]
_pending_listeners: list[PendingListener] = []


def subscribe_pending(listener: PendingListener) -> PendingListener:
    """Call ``listener(session)`` after every commit that leaves responses to fold (``services/fold.py``)."""
    if listener not in _pending_listeners:
        _pending_listeners.append(listener)
    return listener


def unsubscribe_pending(listener: PendingListener) -> None:
    if listener in _pending_listeners:
        _pending_listeners.remove(listener)


def responses_pending(session: DbSession) -> None:
    """Tell whoever folds that rows wait; call it after the commit. An error is logged and dropped:
    the rows stand, and the next fold (a reader, the scheduler) counts them."""
    for listener in list(_pending_listeners):
        try:
            listener(session)
        except Exception:
            session.rollback()
            log.exception("A fold listener failed; the pending responses stand")
