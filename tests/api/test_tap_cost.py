"""What one kiosk tap costs the database: one transaction on one pooled connection, a handful of
statements (issue 14, item 1). The counts are upper bounds, exact for today's path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from feedback.extensions import db
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
    """Today a tap read the token in a transaction of its own and wrote in another, each on a
    freshly checked-out, pre-pinged connection (2 of each, 8 statements). Now the token is
    cached or read in the write transaction. The alert rules of a negative tap (when
    ``ALERTS_ON_INGEST`` is on) still run after the commit in a second one (kiosk_app/alerting.py)."""
    monkeypatch.setitem(app.config, "ALERTS_ON_INGEST", False)
    _device, token = build.device()
    _other, fresh = build.device()
    with app.app_context():
        engine = db.engine
    db.session.remove()
    now = datetime.now(UTC)
    assert tap(client, token, 5, now - timedelta(minutes=5)).status_code == 201  # the pool has a connection
    # A token read a moment ago (cached; BEGIN, zone, neighbours, insert, rollup upsert), then one
    # never seen, read in the tap's own transaction with its survey's current version.
    for key, when, statements in ((token, now - timedelta(minutes=1), 5), (fresh, now, 7)):
        with counted(engine) as counts:
            assert tap(client, key, rating, when).status_code == 201
        assert (counts.transactions, counts.checkouts) == (1, 1), counts
        assert counts.statements <= statements, counts


def test_the_alert_rules_of_a_negative_tap_add_one_transaction_at_most(app, client, build):
    _device, token = build.device()
    with app.app_context():
        engine = db.engine
    db.session.remove()
    now = datetime.now(UTC)
    assert tap(client, token, 5, now - timedelta(minutes=5)).status_code == 201
    with counted(engine) as counts:
        assert tap(client, token, 1, now).status_code == 201
    assert counts.transactions <= 2 and counts.checkouts <= 2, counts
