"""Connection-level settings the two supported databases need.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout
so concurrent gunicorn workers wait instead of failing, and explicit BEGIN so a
write transaction can take the lock up front (``BEGIN IMMEDIATE``) instead of
failing when a read snapshot is upgraded to a write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

T = TypeVar("T")

SQLITE_IMMEDIATE = "feedback_sqlite_immediate"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(session: Session):
    """Run a unit of work that writes; commit on success, roll back on error.

    On SQLite a transaction already open (a read, e.g. the token lookup) is ended
    first, so the write lock is taken at BEGIN and the work cannot fail half way
    on a lock. On PostgreSQL the open transaction simply continues (one round
    trip fewer than ending it and beginning another).
    """
    real = session.registry() if isinstance(session, scoped_session) else session
    sqlite_db = session.get_bind().dialect.name == "sqlite"
    if sqlite_db and real.in_transaction():
        session.commit()
    if not real.in_transaction():
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def write_retrying(session: Session, work: Callable[[], T], attempts: int = 2) -> T:
    """Run ``work()`` in a write transaction, and again if it lost an insert race.

    On PostgreSQL two requests can both find no row and both insert it; the loser's
    unique constraint raises IntegrityError. The next pass sees the winner's row and
    updates it instead. (SQLite's BEGIN IMMEDIATE already serialises writers.)
    """
    for attempt in range(attempts):
        try:
            with write_transaction(session):
                return work()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
