"""What a kiosk tap reads but rarely changes (its device token, its survey's versions), kept a
second or so per process and per database engine, and dropped when this process commits a change."""

from __future__ import annotations

import time
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from feedback.database import DbSession
from feedback.models import Device, Location, Survey, SurveyVersion
from feedback.scales import SCALES, Scale


@dataclass(frozen=True)
class TapLocation:
    """What a tap needs of its location (the device's, never the body's)."""

    id: int
    code: str
    survey_id: int


@dataclass(frozen=True)
class KioskRef:
    """An active kiosk as its token authenticates it: plain values, valid after any commit."""

    id: int
    location: TapLocation

    @property
    def location_id(self) -> int:
        return self.location.id


@dataclass(frozen=True)
class VersionRef:
    """What the ingest rules need of a survey version (versions never change: an edit makes a new one)."""

    id: int
    survey_id: int
    scale: str
    followup_choices: tuple[str, ...]

    @property
    def scale_def(self) -> Scale:
        return SCALES[self.scale]

    @classmethod
    def of(cls, version: SurveyVersion) -> VersionRef:
        return cls(version.id, version.survey_id, version.scale, tuple(version.followup_choices or ()))


class TtlCache:
    """A dict whose entries are answered only while younger than the ``max_age`` asked for.

    An entry's age counts from before the read that produced it (``put(..., read_at=...)``), so a
    change committed after that read is never answered more than ``max_age`` later.
    """

    def __init__(self) -> None:
        self._items: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, max_age: float) -> Any | None:
        found = self._items.get(key)
        if found is None:
            return None
        if time.monotonic() - found[0] >= max_age:
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: Hashable, value: Any, read_at: float, max_age: float) -> None:
        if max_age > 0:
            self._items[key] = (read_at, value)

    def clear(self) -> None:
        self._items.clear()


_CACHES: weakref.WeakKeyDictionary[Engine, TtlCache] = weakref.WeakKeyDictionary()


def of(session: DbSession) -> TtlCache:
    """This process's cache for the session's database engine (two apps in one process keep two)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cache = _CACHES.get(engine)
    if cache is None:
        cache = _CACHES.setdefault(engine, TtlCache())
    return cache


# Changes that make a cached answer wrong: a revoked or re-issued token, a kiosk moved, a location
# switched off or given another survey, any survey version added or removed.
_WATCHED: dict[type, tuple[str, ...]] = {
    Device: ("revoked_at", "token_hash", "location_id"),
    Location: ("active", "survey_id", "code"),
}
_STALE = "tap_cache_stale"


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if session.info.get(_STALE):
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Device | Location | Survey | SurveyVersion):
            session.info[_STALE] = True
            return
    for obj in session.dirty:
        attrs = _WATCHED.get(type(obj))
        if attrs and any(inspect(obj).attrs[name].history.has_changes() for name in attrs):
            session.info[_STALE] = True
            return


@event.listens_for(Session, "after_commit")
def _drop_when_committed(session: Session) -> None:
    if session.info.pop(_STALE, False):
        of(session).clear()
