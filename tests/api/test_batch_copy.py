"""A large batch on PostgreSQL is written with COPY (services/ingest.insert_pending): the rows are
the same as the INSERT writes, and a unique violation inside the COPY (another node stored one of
the ids meanwhile) is the same retried race as in the INSERT: that item answers as a replay."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Response
from feedback.services import ingest as ingest_module
from tests.builders import auth, response_body

URL = "/api/v1/responses/batch"
N = ingest_module.COPY_FROM_ROWS + 8


@pytest.fixture(autouse=True)
def postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("COPY is PostgreSQL's; SQLite takes the one INSERT path, tested everywhere else")


def bodies(start: datetime, n: int = N) -> list[dict]:
    extra = {"followup_offered": ["ease", "efficiency"], "followup_chosen": ["ease"]}
    return [response_body(rating=1 + i % 5, when=start + i * timedelta(seconds=1.5), **extra) for i in range(n)]


def stored(session, ids) -> list[dict]:
    rows = session.execute(select(Response.__table__).where(Response.id.in_(ids))).mappings()
    skip = {"id", "payload_hash", "device_id", "received_at"}
    return sorted(({k: v for k, v in row.items() if k not in skip} for row in rows), key=lambda r: r["client_time"])


def test_copy_stores_what_the_insert_stores(app, client, build, session, monkeypatch):
    location = build.location()
    (_a, copy_token), (_b, insert_token) = build.device(location), build.device(location)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    by_copy, by_insert = bodies(start), bodies(start)
    assert client.post(URL, json={"responses": by_copy}, headers=auth(copy_token)).status_code == 201
    monkeypatch.setattr(ingest_module, "COPY_FROM_ROWS", 10**6)  # the same rows through the INSERT
    assert client.post(URL, json={"responses": by_insert}, headers=auth(insert_token)).status_code == 201
    session.rollback()
    copied = stored(session, [b["id"] for b in by_copy])
    assert len(copied) == N and any(r["suspect"] for r in copied)
    assert copied == stored(session, [b["id"] for b in by_insert])


def test_an_id_another_node_stored_during_the_copy_answers_as_a_replay(app, client, build, session, monkeypatch):
    location = build.location()
    (_a, token), (_b, other_token) = build.device(location), build.device(location)
    batch = bodies(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    real_check = ingest_module.check_rules
    raced = []

    def other_node_stores_the_first_item_now(*args, **kwargs):
        real_check(*args, **kwargs)
        if not raced:  # once: between this pass's read of the stored ids and its COPY
            raced.append(True)
            other = threading.Thread(
                target=lambda: app.test_client().post(URL, json={"responses": batch[:1]}, headers=auth(other_token))
            )
            other.start()
            other.join(30)

    monkeypatch.setattr(ingest_module, "check_rules", other_node_stores_the_first_item_now)
    reply = client.post(URL, json={"responses": batch}, headers=auth(token))
    assert reply.status_code == 201, reply.get_json()
    statuses = [r["status"] for r in reply.get_json()["results"]]
    assert statuses == [200] + [201] * (N - 1)
    session.rollback()
    assert len(stored(session, [b["id"] for b in batch])) == N
