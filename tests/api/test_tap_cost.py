"""What one kiosk tap costs the database: one transaction on one pooled connection, a handful of
statements, and no rollup row (issue 14). The counts are upper bounds, exact for today's path.
The fold that adds the row to the rollups runs after the answer (feedback/folding.py): these
tests turn it off (``ROLLUP_FOLD=off``) to count the request alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from feedback.extensions import db
from feedback.models import Response, ResponseHourly
from feedback.services import fold
from tests.builders import auth, response_body


@dataclass
class Counts:
    statements: int = 0
    transactions: int = 0
    checkouts: int = 0


@contextmanager
def counted(engine) -> Iterator[Counts]:
    """Statements (BEGIN/COMMIT of the SQLite hook included), transactions begun, pool checkouts."""
    counts = Counts()

    def on_statement(*_args, **_kwargs) -> None:
        counts.statements += 1

    def on_begin(*_args) -> None:
        counts.transactions += 1

    def on_checkout(*_args) -> None:
        counts.checkouts += 1

    hooks = [(engine, "before_cursor_execute", on_statement), (engine, "begin", on_begin)]
    hooks.append((engine.pool, "checkout", on_checkout))
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        yield counts
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)


def tap(client, token, rating: int, when: datetime):
    return client.post("/api/v1/responses", json=response_body(rating=rating, when=when), headers=auth(token))


@pytest.mark.parametrize("rating", [5, 1], ids=["positive", "negative"])
def test_a_tap_is_one_transaction_on_one_connection(app, client, build, monkeypatch, rating):
    """Before issue 14 a tap read the token in a transaction of its own and wrote in another, each
    on a freshly checked-out, pre-pinged connection, upserted two rollup rows and, when negative,
    ran the alert rules in a third transaction. Now the token is cached or read in the write
    transaction, the rollups and the alert rules are the fold's, after the answer."""
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")
    _device, token = build.device()
    _other, fresh = build.device()
    with app.app_context():
        engine = db.engine
    db.session.remove()
    now = datetime.now(UTC)
    assert tap(client, token, 5, now - timedelta(minutes=5)).status_code == 201  # the pool has a connection
    # A token read a moment ago (cached; BEGIN or the device's row lock, neighbours, insert), then
    # one never seen, read in the tap's own transaction with its survey's current version.
    for key, when, statements in ((token, now - timedelta(minutes=1), 3), (fresh, now, 5)):
        with counted(engine) as counts:
            assert tap(client, key, rating, when).status_code == 201
        assert (counts.transactions, counts.checkouts) == (1, 1), counts
        assert counts.statements <= statements, counts
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ResponseHourly)) == 0  # nothing folded yet
        assert db.session.scalar(select(func.count()).where(Response.pending)) == 3


def test_the_fold_counts_what_the_taps_stored(app, client, build, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")
    _device, token = build.device()
    now = datetime.now(UTC)
    for minutes, rating in ((9, 5), (6, 1), (3, 4)):
        assert tap(client, token, rating, now - timedelta(minutes=minutes)).status_code == 201
    with app.app_context():
        assert fold.fold(db.session) == 3
        assert db.session.scalar(select(func.sum(ResponseHourly.n))) == 3
        assert db.session.scalar(select(func.sum(ResponseHourly.rating_sum))) == 10
        assert db.session.scalar(select(func.count()).where(Response.pending)) == 0
        assert fold.fold(db.session) == 0  # each response once
