"""Liveness and readiness, for the load balancer and the orchestrator.

- ``/livez``: the process answers. Nothing else is asked: restarting a node cannot mend a
  database outage, so liveness never depends on one.
- ``/readyz`` (and ``/healthz``, the address load balancers already use): the node can do its
  work. The database must answer a read *and accept a write* on a new connection (what the next
  request may get: a pooled connection can outlive a file made read-only); otherwise 503 with
  Retry-After, and the load balancer takes the node out until it passes again. The rate-limit
  storage is reported too; Redis down leaves the node ready ("degraded"), since limits then
  fail open to each process's memory (``feedback/ratelimit.py``) and every node shares the same
  Redis: taking them all out would turn a degraded service into none.

The write check takes the write lock and gives it back at once (an UPDATE that matches no row,
rolled back): nothing is written, but a read-only, locked or standby database fails it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import create_engine, event, false, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from feedback import ratelimit
from feedback.database import SQLITE_IMMEDIATE
from feedback.extensions import db
from feedback.models import Response
from feedback.outages import outage_log

health_bp = Blueprint("health", __name__)

_POOL_OPTIONS = {"pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping", "poolclass"}


@health_bp.get("/livez")
def livez():
    return _no_store(jsonify(status="ok"))


@health_bp.get("/readyz")
@health_bp.get("/healthz")
def readyz():
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy
    checks = {"database": check_database(app), "rate_limits": ratelimit.check(app)}
    if not checks["database"]["ok"]:
        response = jsonify(status="unavailable", checks=checks)
        response.status_code = 503
        response.headers["Retry-After"] = str(app.config["RETRY_AFTER_SECONDS"])
    else:
        response = jsonify(status="ok" if checks["rate_limits"]["ok"] else "degraded", checks=checks)
    return _no_store(response)


def check_database(app: Flask) -> dict:
    """On a new connection: read, then take the write lock (SQLite: ``BEGIN IMMEDIATE``, as every
    write does, so the check cannot fail on a snapshot another writer moved on) and write nothing."""
    engine = _probe_engine(app)
    passed = {"read": False, "write": False}
    try:
        with engine.connect() as connection:
            with connection.begin():
                _timeouts(connection, app)
                connection.execute(select(Response.id).limit(1))
            passed["read"] = True
            with connection.execution_options(**{SQLITE_IMMEDIATE: True}).begin() as transaction:
                _timeouts(connection, app)
                connection.execute(update(Response).where(false()).values(rating=Response.rating))
                passed["write"] = True
                transaction.rollback()
    except SQLAlchemyError as exc:
        detail = _explain(exc, passed)
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        outage_log(app, "database").failed(f"readiness check: {detail} ({cause})")
        return {"ok": False, **passed, "detail": detail}
    outage_log(app, "database").recovered()
    return {"ok": True, **passed}


def _timeouts(connection, app: Flask) -> None:
    """PostgreSQL: give up waiting for a lock, or for anything, within the readiness timeout.
    (SQLite's busy timeout is set when the probe connects: it must hold for BEGIN IMMEDIATE.)"""
    if connection.dialect.name == "postgresql":
        ms = int(app.config["READINESS_TIMEOUT_SECONDS"] * 1000)
        connection.execute(text(f"SET LOCAL lock_timeout = {ms}"))  # a lock: "locked"
        connection.execute(text(f"SET LOCAL statement_timeout = {2 * ms}"))  # anything else slow


def _explain(exc: SQLAlchemyError, passed: dict) -> str:
    """A short, public reason (no host names or paths: those go to the log)."""
    if not passed["read"]:
        return "not answering"
    message = str(getattr(exc, "orig", None) or exc).lower()
    if "readonly" in message or "read-only" in message or "read only" in message:
        return "read-only: cannot write"
    if "lock" in message:
        return "locked: cannot write"
    if "timeout" in message:
        return "too slow: cannot write"
    return "cannot write"


def _probe_engine(app: Flask) -> Engine:
    """An engine like the app's, without a pool (each check opens a new connection) and with the
    readiness timeout for connecting."""
    engine = app.extensions.get("readiness_engine")
    if engine is None:
        options = {k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k not in _POOL_OPTIONS}
        url = db.engine.url
        if url.get_backend_name() == "postgresql":
            timeout = max(1, round(app.config["READINESS_TIMEOUT_SECONDS"]))
            options["connect_args"] = {**options.get("connect_args", {}), "connect_timeout": timeout}
        engine = create_engine(url, poolclass=NullPool, **options)
        if url.get_backend_name() == "sqlite":

            @event.listens_for(engine, "connect")
            def _busy_timeout(dbapi_connection, _record):
                ms = int(app.config["READINESS_TIMEOUT_SECONDS"] * 1000)
                dbapi_connection.execute(f"PRAGMA busy_timeout = {ms}")

        app.extensions["readiness_engine"] = engine
    return engine


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
