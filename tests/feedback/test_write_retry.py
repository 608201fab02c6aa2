"""Writes that lose a race run again: an insert race, a deadlock or a serialization failure."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from feedback.database import lost_a_race, write_retrying
from feedback.models import Office


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (IntegrityError("INSERT", {}, _Orig("23505")), True),  # unique violation: the winner's row exists now
        (OperationalError("UPDATE", {}, _Orig("40P01")), True),  # deadlock_detected
        (OperationalError("UPDATE", {}, _Orig("40001")), True),  # serialization_failure
        (OperationalError("SELECT", {}, _Orig("08006")), False),  # connection failure: 503, not a retry
        (OperationalError("BEGIN", {}, _Orig(None)), False),  # SQLite "database is locked"
        (ValueError("not a database error"), False),
    ],
)
def test_which_errors_mean_the_write_lost_a_race(error, retry):
    assert lost_a_race(error) is retry


def test_a_deadlock_victim_runs_again_and_both_writes_stand(app, session, build):
    """Two writers take the same two rows in opposite orders, as two requests can. PostgreSQL
    undoes one of them (deadlock_detected); ``write_retrying`` runs that one again, so both
    succeed and neither answers 503."""
    if session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): a deadlock cannot happen there")
    first, second = build.office(name="North"), build.office(name="South")
    session.commit()
    ids = (first.id, second.id)
    engine = session.get_bind()
    both_hold_one = threading.Barrier(2, timeout=10)
    passes = {0: 0, 1: 0}
    errors: list[Exception] = []

    def writer(n: int) -> None:
        order = ids if n == 0 else ids[::-1]
        with Session(engine) as own:

            def work() -> None:
                passes[n] += 1
                own.execute(update(Office).where(Office.id == order[0]).values(service_provider=f"w{n}"))
                if passes[n] == 1:
                    both_hold_one.wait()  # each holds its first row: the second update closes the cycle
                own.execute(update(Office).where(Office.id == order[1]).values(service_provider=f"w{n}"))

            try:
                write_retrying(own, work)
            except Exception as exc:  # noqa: BLE001 -- any failure in the thread is asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(passes.values()) == [1, 2]  # one victim, run once more
    session.expire_all()
    providers = set(session.scalars(select(Office.service_provider).where(Office.id.in_(ids))))
    assert len(providers) == 1  # the writer that finished last wrote both rows
