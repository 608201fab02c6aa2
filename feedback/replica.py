"""Reads from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``) for the dashboards, the
exports and the read API, with the same figures as the primary.

The rule (docs/ARCHITECTURE.md, "Read replica"): a view asks :func:`reads` for its session. It is
the replica's only when
1. the request is a GET or HEAD and has written nothing (``g``), and the browser has not
   written within ``REPLICA_MAX_LAG_SECONDS`` (a cookie set after each write request): a read
   right after a write is always the primary's;
2. the responses waiting for the fold were folded **on the primary** first (readers of the rollups
   fold before they read, ``services/tally.py``; a replica cannot write), and the replica has
   replayed the primary's WAL up to the position read after that fold (``pg_current_wal_lsn``
   there, ``pg_last_wal_replay_lsn`` here), waiting at most ``REPLICA_WAIT_SECONDS`` for it. So a
   page read on the replica counts every response answered before it asked, exactly as the
   primary would: the staleness of a replica read is nil, as of the moment the page asked;
3. the replica answers, and its replay is not behind by more than ``REPLICA_MAX_LAG_SECONDS``
   (``pg_last_xact_replay_timestamp``, as a cheap first test; a replica behind by more is left
   alone without waiting).
Otherwise the primary serves the read (``db.session``), and a replica that failed is left alone
for ``REPLICA_RETRY_SECONDS``. The replica session never writes: ``tally.read`` does not fold on it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from feedback.config import normalize_database_url
from feedback.database import DbSession, engine_options
from feedback.extensions import db
from feedback.outages import outage_log
from feedback.services import fold
from feedback.services.tally import NO_CATCH_UP

log = logging.getLogger(__name__)

NAME = "Read replica"
COOKIE = "fb_fresh"  # "this browser wrote lately": its reads go to the primary
_READ_METHODS = frozenset({"GET", "HEAD"})
_POLL_SECONDS = 0.01


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    url = normalize_database_url(url)
    if not (url.startswith("postgresql") and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")):
        raise RuntimeError("DATABASE_REPLICA_URL needs PostgreSQL for both the primary and the replica.")
    engine = create_engine(url, **engine_options(url, app.config))
    app.extensions["replica"] = {"engine": engine, "down_until": 0.0}
    app.after_request(_remember_writes)
    app.teardown_appcontext(_close)


def engine(app: Flask) -> Engine | None:
    state = app.extensions.get("replica")
    return state["engine"] if state else None


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _context: Any) -> None:
    if has_request_context() and not session.info.get(NO_CATCH_UP):
        g.replica_wrote = True


def _remember_writes(response: Response) -> Response:
    """A browser's write request (or one that wrote) sends its reads to the primary for the lag
    bound. Token clients (kiosks, the read API) keep no cookies: nothing to send them."""
    if "Authorization" in request.headers:
        return response
    if request.method not in _READ_METHODS or g.get("replica_wrote"):
        seconds = max(1, round(current_app.config["REPLICA_MAX_LAG_SECONDS"]))
        response.set_cookie(COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax")
    return response


def _close(_exc: BaseException | None) -> None:
    session = g.pop("replica_session", None)
    if session is not None:
        session.close()


def reads() -> DbSession:
    """The session the current request reads its figures from (see the module's docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.get("replica")
    if state is None or not has_request_context():
        return db.session
    if "replica_chosen" in g:  # decided once per request
        return g.replica_session if g.replica_chosen else db.session
    g.replica_chosen = False
    if request.method not in _READ_METHODS or g.get("replica_wrote") or request.cookies.get(COOKIE):
        return db.session
    if state["down_until"] > time.monotonic() or not _caught_up(app, state, _primary_position()):
        return db.session
    session = Session(bind=state["engine"])
    session.info[NO_CATCH_UP] = True
    g.replica_session, g.replica_chosen = session, True
    return session


def _primary_position() -> str:
    """Fold what waits (on the primary), then the primary's WAL position: what the replica must have."""
    session = db.session
    if fold.has_pending(session):
        fold.fold(session)
    position = str(session.scalar(text("SELECT pg_current_wal_lsn()")))
    session.commit()  # end the read transaction: the primary's page reads nothing more here
    return position


def _caught_up(app: Flask, state: dict, target: str) -> bool:
    """Whether the replica has replayed up to ``target``, waiting at most ``REPLICA_WAIT_SECONDS``."""
    bound = app.config["REPLICA_MAX_LAG_SECONDS"]
    deadline = time.monotonic() + app.config["REPLICA_WAIT_SECONDS"]
    query = text(
        "SELECT pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn),"
        " COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)"
    )
    try:
        with state["engine"].connect() as conn:
            while True:
                reached, lag = conn.execute(query, {"target": target}).one()
                if reached:
                    if outage_log(app, NAME).down:
                        outage_log(app, NAME).recovered()
                    return True
                if float(lag) > bound or time.monotonic() >= deadline:
                    log.info("The replica is behind (%.1f s); reading from the primary", float(lag))
                    return False
                time.sleep(_POLL_SECONDS)
    except Exception as exc:  # noqa: BLE001  (any failure of the replica: the primary reads instead)
        state["down_until"] = time.monotonic() + app.config["REPLICA_RETRY_SECONDS"]
        outage_log(app, NAME).failed("reads go to the primary until it answers", exc_info=exc)
        return False
