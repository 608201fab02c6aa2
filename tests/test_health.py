"""Liveness and readiness tell the truth (issue 11, item 3).

``/livez``: the process answers, whatever the database does. ``/readyz`` (and ``/healthz``):
the database answers a read *and* accepts a write on a new connection; otherwise 503 with
Retry-After, so a load balancer takes the node out. Faults are real: a database that refuses
connections, a SQLite file made read-only (a PostgreSQL server in read-only mode), a write lock
held by another connection.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from feedback.extensions import db
from tests.builders import Builder, auth, response_body
from tests.dbfaults import (
    create_tables,
    hold_write_lock,
    is_sqlite,
    isolated_app,
    make_read_only,
    make_writable,
    with_pg_options,
)


def seed(app) -> tuple[str, str]:
    """A kiosk and an admin's API token in ``app``'s database: (device token, API token)."""
    with app.app_context():
        build = Builder(db.session)
        _device, device_token = build.device()
        _user, api_token = build.user_token("admin")
        db.session.remove()
    return device_token, api_token


def assert_unready(response, detail: str) -> dict:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["detail"] == detail
    return body


def test_a_healthy_node_is_live_and_ready(client):
    assert client.get("/livez").get_json() == {"status": "ok"}
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == {"ok": True, "read": True, "write": True}
        assert body["checks"]["rate_limits"]["ok"] is True


def test_without_a_database_the_node_is_live_but_not_ready(unreachable_app):
    """Before: /healthz answered a 500 HTML page, and there was no liveness check at all."""
    client = unreachable_app.test_client()
    live = client.get("/livez")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    for path in ("/readyz", "/healthz"):
        body = assert_unready(client.get(path), "not answering")
        assert body["checks"]["database"]["read"] is False
        assert "127.0.0.1" not in str(body) and "missing" not in str(body)  # no host or path to the public


@pytest.fixture
def cannot_write(app, fresh_database_url, tmp_path):
    """A node whose database answers reads but refuses writes, and a way to end that.

    SQLite: the file made read-only (the node started while it was: every connection opens it
    read-only). PostgreSQL: a server in read-only mode, as a standby is (not undone here)."""
    create_tables(fresh_database_url)
    if is_sqlite(fresh_database_url):
        path = make_url(fresh_database_url).database
        with isolated_app(app, fresh_database_url, tmp_path / "seed") as writable:
            tokens = seed(writable)
        make_read_only(path)
        try:
            with isolated_app(app, fresh_database_url, tmp_path / "instance") as fault_app:
                yield fault_app, tokens, lambda: make_writable(path)
        finally:
            make_writable(path)
        return
    with isolated_app(app, fresh_database_url, tmp_path / "seed") as writable:
        tokens = seed(writable)
    read_only = with_pg_options(fresh_database_url, "default_transaction_read_only=on")
    with isolated_app(app, read_only, tmp_path / "instance") as fault_app:
        yield fault_app, tokens, None


def test_a_node_that_can_read_but_not_write_is_not_ready(cannot_write):
    """Before: /healthz said 200 while every write answered 500."""
    fault_app, (device_token, api_token), end_fault = cannot_write
    client = fault_app.test_client()
    body = assert_unready(client.get("/readyz"), "read-only: cannot write")
    assert (body["checks"]["database"]["read"], body["checks"]["database"]["write"]) == (True, False)
    assert client.get("/livez").status_code == 200

    tap = response_body(rating=4)
    refused = client.post("/api/v1/responses", json=tap, headers=auth(device_token))
    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.mimetype == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
    read = client.get(
        "/api/v1/summary", query_string={"from": "2026-01-05", "to": "2026-01-11"}, headers=auth(api_token)
    )
    assert read.status_code == 200  # reads go on

    if end_fault is None:
        return
    end_fault()  # the file is writable again: the node comes back without a restart
    assert client.get("/readyz").status_code == 200
    stored = client.post("/api/v1/responses", json=tap, headers=auth(device_token))
    assert stored.status_code == 201, stored.get_data(as_text=True)


def test_a_database_locked_by_another_writer_is_not_ready(app, client, database_url, monkeypatch):
    monkeypatch.setitem(app.config, "READINESS_TIMEOUT_SECONDS", 0.2)
    with hold_write_lock(database_url, table="responses"):
        assert_unready(client.get("/readyz"), "locked: cannot write")
        assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_unknown_api_route_is_problem_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
