"""The per-process cache of device tokens and current survey versions (issue 14, item 2): a tap
usually reads neither, and a revoked token is still refused within AUTH_CACHE_SECONDS (1 s) on
every node, at once on the node that revoked it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import update

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Device, Location
from tests.builders import add_survey_version, auth, response_body
from tests.dbfaults import isolated_app

TTL = 1.0


def tap(client, token, **body):
    return client.post("/api/v1/responses", json=response_body(**body), headers=auth(token))


def revoke(session, device_id: int) -> None:
    """What ``kiosks.revoke_kiosk`` changes, through the ORM in this node's session."""
    with write_transaction(session):
        session.get(Device, device_id).revoked_at = datetime.now(UTC)


def test_a_token_revoked_on_one_node_is_refused_on_another_within_a_second(
    app, client, build, session, database_url, tmp_path
):
    device, token = build.device()
    device_id = device.id
    with isolated_app(app, database_url, tmp_path / "node-b") as node_b:
        other = node_b.test_client()
        assert tap(other, token).status_code == 201  # node B has read (and cached) the token
        assert tap(client, token).status_code == 201  # so has node A
        with app.app_context():
            revoke(db.session, device_id)
        revoked_at = time.monotonic()
        assert tap(client, token).status_code == 401  # the revoking node forgets the token at once
        while tap(other, token).status_code != 401:  # node B within the cache's lifetime
            assert time.monotonic() - revoked_at < TTL, "node B still took the revoked token"
            time.sleep(0.05)
        assert time.monotonic() - revoked_at < TTL + 0.1


def test_the_cache_never_answers_for_a_revoked_token_after_its_lifetime(app, client, build, session):
    device, token = build.device()
    assert tap(client, token).status_code == 201
    # Revoked behind the process's back (another node's write, no ORM event here):
    with write_transaction(session):
        session.execute(update(Device).where(Device.id == device.id).values(revoked_at=datetime.now(UTC)))
    time.sleep(TTL + 0.1)
    assert tap(client, token).status_code == 401
    assert tap(client, token).status_code == 401  # a refusal is not cached either way


def test_within_its_lifetime_the_cache_answers_and_a_change_here_drops_it(app, client, build, session, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_CACHE_SECONDS", 60)
    device, token = build.device()
    location_id = device.location_id
    assert tap(client, token).status_code == 201
    with write_transaction(session):  # a write this process does not see as a change
        session.execute(update(Device).where(Device.id == device.id).values(revoked_at=datetime.now(UTC)))
    assert tap(client, token).status_code == 201  # answered from the cache (bounded by its lifetime)
    with write_transaction(session):
        session.execute(update(Device).where(Device.id == device.id).values(revoked_at=None))
        session.get(Location, location_id).active = False  # switched off through the services' ORM
    assert tap(client, token).status_code == 401


def test_a_new_survey_version_is_used_at_once_on_the_node_that_made_it(app, client, build, session, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_CACHE_SECONDS", 60)
    survey = build.survey()
    _device, token = build.device(location=build.location(survey=survey))
    first = tap(client, token)
    assert first.status_code == 201
    with write_transaction(session):
        version = add_survey_version(session, survey).id
    answer = tap(client, token)
    assert answer.status_code == 201
    assert answer.get_json()["survey_version"] == version != first.get_json()["survey_version"]


def test_without_a_cache_every_tap_reads_the_token(app, client, build, session, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_CACHE_SECONDS", 0)
    device, token = build.device()
    assert tap(client, token).status_code == 201
    with write_transaction(session):
        session.execute(update(Device).where(Device.id == device.id).values(revoked_at=datetime.now(UTC)))
    assert tap(client, token).status_code == 401
