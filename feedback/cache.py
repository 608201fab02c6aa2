"""The cache the nodes share (Flask-Caching): Redis at ``REDIS_URL``, this process's memory otherwise.

What is cached must never be older than the figures it shows: every cached page is filed under
*version tokens* (:func:`versions`), one per location plus one for everything else (``epoch``),
and a commit that changes what a page shows replaces the tokens it touched (:func:`bump`), so
the old pages are never read again and expire on their own. A token is a random string, not a
counter: a token the cache has dropped is simply made anew, which also files every page afresh.

Who bumps, from SQLAlchemy's session events, so no write path can forget:
- any write to the rollups (``response_hourly``, ``followup_daily``, ``language_daily``): the
  fold, a spam mark or unmark, a phone answer changed, a repeat tap's flag (``rollups.apply``) bump
  the tokens of the locations in the rows written; a rebuild (a DELETE or UPDATE naming no rows)
  bumps ``epoch``;
- any change to an office or a location (targets, names, publishing, a counter switched off or
  moved): ``epoch``.
The bump runs after the commit (a rolled-back write bumps nothing).

Redis away: every call is guarded: a failure is logged (once per ``OUTAGE_LOG_SECONDS``) and the
page is rendered from the database, never a 500; Redis is left alone for ``CACHE_RETRY_SECONDS``
so a dead server costs one socket timeout per interval, not per request. The first success after
an outage bumps ``epoch``, since bumps missed meanwhile would otherwise leave stale pages behind.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Delete, Insert, Update, event
from sqlalchemy.orm import ORMExecuteState, Session

from feedback.extensions import cache
from feedback.outages import outage_log

log = logging.getLogger(__name__)

NAME = "Shared cache"
EPOCH = "v:epoch"
TOKEN_SECONDS = 7 * 24 * 3600  # a token outlives every page filed under it
_ROLLUP_TABLES = frozenset({"response_hourly", "followup_daily", "language_daily"})
_STALE = "feedback_cache_stale"  # session.info: location ids, or None for everything
_ALL = "all"


def init_app(app: Flask) -> None:
    cache.init_app(app)
    app.extensions["cache_state"] = {"down_until": 0.0, "was_down": False}


def shared(app: Flask) -> bool:
    return app.config.get("CACHE_TYPE") == "RedisCache"


def _guarded(default: Any, work, *args: Any) -> Any:
    """``work(*args)`` on the cache, or ``default`` while it fails (see the module's docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["cache_state"]
    if state["down_until"] > time.monotonic():
        return default
    try:
        if state["was_down"]:  # bumps may have been lost meanwhile: every page afresh, first
            cache.set(EPOCH, _token(), TOKEN_SECONDS)
            state["was_down"] = False
            outage_log(app, NAME).recovered()
        return work(*args)
    except Exception as exc:  # noqa: BLE001  (any failure of the cache: the page is rendered instead)
        state["down_until"] = time.monotonic() + app.config["CACHE_RETRY_SECONDS"]
        state["was_down"] = True
        outage_log(app, NAME).failed("pages are rendered from the database until it answers", exc_info=exc)
        return default


def _token() -> str:
    return uuid.uuid4().hex


def location_key(location_id: int) -> str:
    return f"v:loc:{location_id}"


def versions(location_ids: Iterable[int]) -> str | None:
    """One string for the current tokens of ``epoch`` and ``location_ids`` (made where missing);
    None when the cache cannot tell (it is down: then nothing is read from it or kept in it)."""
    keys = [EPOCH, *(location_key(i) for i in sorted(set(location_ids)))]
    found = _guarded(None, cache.get_many, *keys)
    if found is None:
        return None
    tokens = list(found)
    for k, key in enumerate(keys):
        if tokens[k] is None:
            made = _token()
            added = _guarded(False, cache.add, key, made, TOKEN_SECONDS)
            tokens[k] = made if added else _guarded(None, cache.get, key)
            if tokens[k] is None:
                return None
    return hashlib.sha256("|".join(tokens).encode()).hexdigest()[:24]


def get(key: str) -> Any:
    return _guarded(None, cache.get, key)


def put(key: str, value: Any, timeout: int) -> None:
    if timeout > 0:
        _guarded(None, cache.set, key, value, timeout)


def bump(location_ids: Iterable[int] | None) -> None:
    """New tokens for ``location_ids``, or ``epoch`` (every page) when None."""
    keys = [EPOCH] if location_ids is None else [location_key(i) for i in sorted(set(location_ids))]
    if keys:
        _guarded(None, cache.set_many, dict.fromkeys(keys, _token()), TOKEN_SECONDS)


def clear() -> None:
    """Forget every cached value of this app (tests)."""
    _guarded(None, cache.clear)
    current_app.extensions["cache_state"].update(down_until=0.0, was_down=False)


# --- what changes the figures: noted in the transaction, bumped after its commit ----------------


def _note(session: Session, location_ids: Sequence[int] | None) -> None:
    stale = session.info.get(_STALE)
    if stale == _ALL:
        return
    if location_ids is None:
        session.info[_STALE] = _ALL
    else:
        session.info[_STALE] = (stale or set()) | set(location_ids)


@event.listens_for(Session, "do_orm_execute")
def _watch_rollup_writes(state: ORMExecuteState) -> None:
    statement = state.statement
    if not isinstance(statement, Insert | Update | Delete):
        return
    if getattr(statement.table, "name", None) not in _ROLLUP_TABLES:
        return
    params: Any = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params] if params else []
    ids = [row.get("location_id") for row in rows]
    named = isinstance(statement, Insert) and ids and all(isinstance(i, int) for i in ids)
    _note(state.session, [int(i) for i in ids if i is not None] if named else None)


@event.listens_for(Session, "after_flush")
def _watch_offices(session: Session, _context: Any) -> None:
    from feedback.models import Location, Office

    changed = (*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o)))
    if any(isinstance(obj, Office | Location) for obj in changed):
        _note(session, None)


@event.listens_for(Session, "after_commit")
def _bump_when_committed(session: Session) -> None:
    stale = session.info.pop(_STALE, None)
    if stale is None or not has_app_context() or "cache_state" not in current_app.extensions:
        return
    bump(None if stale == _ALL else stale)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_STALE, None)
