"""Connection-level settings the two supported databases need, and what a database fault is.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout
so concurrent gunicorn workers wait instead of failing, and explicit BEGIN so a
write transaction can take the lock up front (``BEGIN IMMEDIATE``) instead of
failing when a read snapshot is upgraded to a write.

Faults: ``is_unavailable`` tells a database that cannot serve right now (refused or lost
connection, read-only or locked file, full disk, pool exhausted) from a bug; the app answers
those 503 with Retry-After (``feedback/errors/unavailable.py``). A connection that can no longer write
(opened while the SQLite file was read-only; a PostgreSQL server that became a standby) is
thrown away with its pool, so the node recovers by itself once the database is back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, TypeAlias, TypeVar, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.pool import Pool

T = TypeVar("T")

# What the services take as their session: a plain Session (the CLI, tests, background work) or
# the app's scoped proxy ``db.session``, which forwards every call to the request's Session.
DbSession: TypeAlias = Session | scoped_session[Any]

SQLITE_IMMEDIATE = "feedback_sqlite_immediate"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: the WAL is synced at every commit, so a 2xx (the kiosk then deletes its copy) survives
    # a power loss, not only a crash of the app. NORMAL would lose the last commits; the cost is
    # within noise of NORMAL for the ingest insert (issue 14), larger only in the p99.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")  # the busy timeout is the driver's ``timeout`` (engine_options)
    # SQLite opens a file it may not write read-only, silently, and the connection stays so.
    record.info[_READ_ONLY_FILE] = next(
        (path for _, name, path in cursor.execute("PRAGMA database_list") if name == "main" and _unwritable(path)),
        None,
    )
    cursor.close()


_READ_ONLY_FILE = "feedback_sqlite_read_only_file"


def _unwritable(path: str) -> bool:
    return bool(path) and not os.access(path, os.W_OK)


@event.listens_for(Pool, "checkout")
def _reopen_once_writable(_dbapi_connection, record, _proxy):
    """A SQLite connection opened while its file was read-only is replaced as soon as the file is
    writable again, before it fails a write: the node recovers without a restart."""
    path = record.info.get(_READ_ONLY_FILE)
    if path and not _unwritable(path):
        raise DisconnectionError("The SQLite file is writable again: open a new connection.")


def engine_options(uri: str, config) -> dict:
    """SQLAlchemy engine options for ``uri``: a pre-ping on every checkout (a connection the server
    dropped is replaced, not used), and how long to wait: SQLite for the write lock
    (``SQLITE_BUSY_TIMEOUT_SECONDS``), PostgreSQL for a connection (``DATABASE_CONNECT_TIMEOUT_SECONDS``:
    an unreachable server answers 503 in seconds instead of holding the worker)."""
    if uri.startswith("sqlite"):
        connect_args = {"timeout": config["SQLITE_BUSY_TIMEOUT_SECONDS"]}
    elif uri.startswith("postgresql"):
        connect_args = {"connect_timeout": max(1, round(config["DATABASE_CONNECT_TIMEOUT_SECONDS"]))}
    else:
        connect_args = {}
    return {"pool_pre_ping": True, "connect_args": connect_args}


# SQLite errors after which a connection cannot be trusted to write again, even once the file is
# writable: it was opened read-only, or its file went away. PostgreSQL: the server is a standby.
_SQLITE_UNUSABLE = ("attempt to write a readonly database", "unable to open database file", "disk i/o error")
_PG_READ_ONLY = "25006"  # read_only_sql_transaction
# deadlock_detected, serialization_failure: the database chose this transaction to undo so another
# could go on; the same work run again in a new transaction succeeds.
_PG_RETRY = frozenset({"40P01", "40001"})


@event.listens_for(Engine, "handle_error")
def _replace_unusable_connections(context):
    error = context.original_exception
    if isinstance(error, sqlite3.Error):
        if any(text in str(error).lower() for text in _SQLITE_UNUSABLE):
            context.is_disconnect = True  # the pool is emptied: the next checkout opens afresh
    elif getattr(error, "sqlstate", None) == _PG_READ_ONLY:
        context.is_disconnect = True


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve right now (try again later), not that the
    request or the code is wrong: a refused or lost connection, a timeout, a locked, read-only or
    full database, the connection pool exhausted, a server in recovery or read-only."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or getattr(exc.orig, "sqlstate", None) == _PG_READ_ONLY
    )


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write(session: DbSession) -> None:
    """Open the session's transaction as a write transaction now (SQLite: ``BEGIN IMMEDIATE``), so
    the reads before the writes (a kiosk's token lookup) share it: ``write_transaction`` continues
    it instead of beginning another. Nothing if a transaction is already open."""
    real = session.registry() if isinstance(session, scoped_session) else session
    if not real.in_transaction():
        session.connection(execution_options={SQLITE_IMMEDIATE: True})


@contextmanager
def write_transaction(session: DbSession):
    """Run a unit of work that writes; commit on success, roll back on error.

    On SQLite a read transaction already open (e.g. a page's reads) is ended first, so
    the write lock is taken at BEGIN and the work cannot fail half way on a lock; one
    opened by ``begin_write`` already holds it and continues. On PostgreSQL the open
    transaction simply continues (one round trip fewer than ending it and beginning another).
    """
    real = session.registry() if isinstance(session, scoped_session) else session
    sqlite_db = session.get_bind().dialect.name == "sqlite"
    if sqlite_db and real.in_transaction() and not real.connection().get_execution_options().get(SQLITE_IMMEDIATE):
        session.commit()
    if not real.in_transaction():
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def rowcount(result: Result) -> int:
    """The rows an UPDATE or DELETE matched: its result is a CursorResult, which ``Session.execute``
    is not typed to say."""
    return cast(CursorResult, result).rowcount


def insert_for(dialect: str, model: type[Any]) -> sqlite_dialect.Insert | postgresql.Insert:
    """``INSERT INTO model`` with the ``ON CONFLICT`` clauses of ``dialect`` (SQLite or PostgreSQL)."""
    return _INSERTS[dialect](model)


_INSERTS: dict[str, Callable[[type[Any]], sqlite_dialect.Insert | postgresql.Insert]] = {
    "sqlite": sqlite_dialect.insert,
    "postgresql": postgresql.insert,
}


def lost_a_race(exc: BaseException) -> bool:
    """Whether a write failed only because a concurrent one won, so running it again is right:
    an insert race (two requests both found no row; the loser's unique constraint fails, and the
    next pass sees the winner's row), or a PostgreSQL deadlock or serialization failure (the
    database undid this transaction so the other could go on). SQLite's BEGIN IMMEDIATE already
    serialises writers. Callers roll back (``write_transaction`` does) and run the work again."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _PG_RETRY


def write_retrying(session: DbSession, work: Callable[[], T], attempts: int = 3) -> T:
    """Run ``work()`` in a write transaction, and again while it lost a race (:func:`lost_a_race`)."""
    for attempt in range(attempts):
        try:
            with write_transaction(session):
                return work()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not lost_a_race(exc):
                raise
    raise AssertionError("unreachable")
