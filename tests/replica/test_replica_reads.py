"""Dashboards, exports and the read API read from a streaming replica with the primary's figures
(issue 15 item 5, feedback/replica.py): the replica serves a read only once it has replayed what
the primary had (after folding) when the page asked; a read after a write, a replica that is down
or lagging beyond REPLICA_MAX_LAG_SECONDS go to the primary."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from feedback import replica
from feedback.database import write_transaction
from tests.builders import PASSWORD, add_user, auth, response_body
from tests.dbfaults import free_port
from tests.replica.conftest import browser, replay, sign_in, watch


@pytest.fixture
def world(session, build):
    """One counter with a kiosk, an admin, and an API token."""
    location = build.location("REP-1")
    _device, kiosk = build.device(location)
    _user, token = build.user_token("admin")
    email = f"admin-{uuid.uuid4().hex[:6]}@example.gov"
    with write_transaction(session):
        add_user(session, email, PASSWORD, "admin")
    return {"location": location, "kiosk": kiosk, "token": token, "email": email}


_minutes = itertools.count(1)


def tap(client, kiosk, rating=5):
    when = datetime.now(UTC) - timedelta(minutes=next(_minutes))  # apart: none is a suspect repeat
    answer = client.post("/api/v1/responses", json=response_body(rating, when), headers=auth(kiosk))
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)


def summary(client, world):
    today = datetime.now(UTC).date()
    query = {
        "location": "REP-1",
        "from": (today - timedelta(days=2)).isoformat(),
        "to": (today + timedelta(days=2)).isoformat(),
    }
    answer = client.get("/api/v1/summary", query_string=query, headers=auth(world["token"]))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["total"]["count"]


def test_the_read_api_reads_the_replica_with_every_tap_counted(node, world, statements):
    with node() as app:
        kiosk = browser(app)
        for rating in (5, 4, 1):
            tap(kiosk, world["kiosk"], rating)  # ROLLUP_FOLD=off: pending until a reader folds
        watch(statements, app)
        reader = browser(app)  # another client: it never wrote
        assert summary(reader, world) == 3  # folded on the primary, read on the replica
        assert statements.seen["replica"] >= 1 and statements.seen["primary"] == 0
        tap(kiosk, world["kiosk"])
        statements.reset()
        assert summary(reader, world) == 4  # at once: the replica waits for the fold's commit
        assert statements.seen["replica"] >= 1 and statements.seen["primary"] == 0


def test_dashboards_and_exports_read_the_replica_and_a_read_after_a_write_the_primary(node, world, statements):
    with node() as app:
        tap(browser(app), world["kiosk"])
        watch(statements, app)
        admin = browser(app)
        sign_in(admin, world["email"])  # a POST: this browser's next reads go to the primary
        page = admin.get("/admin/")
        assert page.status_code == 200
        assert statements.seen["primary"] >= 1 and statements.seen["replica"] == 0
        assert admin.get_cookie(replica.COOKIE) is not None

        admin.delete_cookie(replica.COOKIE)  # as when REPLICA_MAX_LAG_SECONDS have passed
        statements.reset()
        assert admin.get("/admin/").status_code == 200
        assert admin.get("/admin/compare").status_code == 200
        export = admin.get("/admin/export/aggregates.csv")
        assert export.status_code == 200 and "\r\ntotal,,1,1," in export.get_data(as_text=True)
        assert statements.seen["replica"] >= 3 and statements.seen["primary"] == 0


def test_a_replica_that_is_down_leaves_the_reads_to_the_primary(node, world, statements, caplog):
    with node(f"postgresql://root@127.0.0.1:{free_port()}/test", REPLICA_RETRY_SECONDS=60) as app:
        tap(browser(app), world["kiosk"])
        watch(statements, app)
        reader = browser(app)
        assert [summary(reader, world) for _ in range(2)] == [1, 1]
        assert statements.seen["primary"] == 2 and statements.seen["replica"] == 0
        assert sum("Read replica" in r.getMessage() for r in caplog.records) == 1


def test_a_lagging_replica_leaves_the_reads_to_the_primary(node, world, statements):
    with node(REPLICA_MAX_LAG_SECONDS=1, REPLICA_WAIT_SECONDS=0.3) as app:
        reader, kiosk = browser(app), browser(app)
        tap(kiosk, world["kiosk"])
        assert summary(reader, world) == 1
        watch(statements, app)
        replay(paused=True)
        try:
            tap(kiosk, world["kiosk"])
            assert summary(reader, world) == 2  # the replica has not the new tap: the primary counts it
            assert statements.seen["primary"] >= 1 and statements.seen["replica"] == 0
        finally:
            replay(paused=False)
        statements.reset()
        assert summary(reader, world) == 2  # caught up again: the replica serves
        assert statements.seen["replica"] >= 1 and statements.seen["primary"] == 0
