"""The fold (services/fold.py, feedback/folding.py): a tap's row waits, marked pending, until a fold
adds it to the rollups; every reader folds first, so no figure misses an answered tap; writers
that move a stored response between buckets leave a pending one to the fold; the alert rules
hear of a response when it is folded, once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Response, ResponseHourly
from feedback.services import announce, fold, followup_update, phone, rollups, tally
from tests.builders import auth, response_body

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
def manual(app, monkeypatch):
    """Nothing folds on its own: only readers and explicit folds."""
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")
    return app


def hourly_total(session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(ResponseHourly.n), 0))))


def pending(session) -> int:
    return int(session.scalar(select(func.count()).where(Response.pending)))


def test_a_tap_waits_for_the_fold_and_every_reader_folds_first(manual, client, build, session):
    device, token = build.device()
    now = datetime.now(UTC)
    for k in range(3):
        assert (
            client.post(
                "/api/v1/responses",
                json=response_body(rating=5 - k, when=now - timedelta(minutes=k)),
                headers=auth(token),
            ).status_code
            == 201
        )
    session.rollback()
    assert (pending(session), hourly_total(session)) == (3, 0)
    today = now.astimezone(device.location.office.tz).date()
    counted = tally.read_one(session, [device.location_id], today - timedelta(days=1), today)
    assert counted.total.count == 3  # the reader folded the tail before reading
    assert (pending(session), hourly_total(session)) == (0, 3)


def test_a_reader_of_other_locations_does_not_fold(manual, client, build, session):
    _device, token = build.device()
    elsewhere = build.location()
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    session.rollback()
    tally.read_one(session, [elsewhere.id], date(2026, 1, 1), date(2030, 1, 1))
    assert pending(session) == 1


def test_a_rebuild_counts_pending_rows_once(manual, client, build, session):
    _device, token = build.device()
    for k in range(4):
        body = response_body(rating=2, when=datetime.now(UTC) - timedelta(minutes=k))
        assert client.post("/api/v1/responses", json=body, headers=auth(token)).status_code == 201
    session.rollback()
    rollups.rebuild(session)
    session.commit()
    assert (pending(session), hourly_total(session)) == (0, 4)
    assert fold.fold(session) == 0 and hourly_total(session) == 4


def test_a_phone_answer_changed_while_pending_is_counted_as_it_ends(manual, build, session):
    location = build.location()
    version = location.survey.current_version()
    rid = uuid.uuid4()
    result = phone.submit(
        session,
        location,
        response_id=rid,
        rating=5,
        language="en",
        survey_version=None,
        followup_offered=[],
        followup_chosen=[],
        comment=None,
        repeat=False,
        now=NOW,
    )
    assert result.created and pending(session) == 1
    followup_update.update(
        session,
        location,
        rid,
        followup_update.Change(rating=1),
        mine={rid},
        now=NOW + timedelta(seconds=30),
        window=timedelta(minutes=10),
    )
    assert hourly_total(session) == 0  # nothing moved in the rollups: the row is not in them yet
    assert fold.fold(session) == 1
    assert session.scalar(select(ResponseHourly.r1)) == 1 and hourly_total(session) == 1
    assert version.scale


def test_the_alert_rules_hear_of_a_response_when_it_is_folded_once(manual, client, build, session):
    heard: list[uuid.UUID] = []

    def listener(_session, stored: announce.Stored) -> None:
        heard.extend(r.id for r in stored.responses)

    _device, token = build.device()
    body = response_body(rating=1)
    announce.subscribe(listener)
    try:
        assert client.post("/api/v1/responses", json=body, headers=auth(token)).status_code == 201
        assert heard == []  # the tap's request ran no rule
        session.rollback()
        assert fold.fold(session) == 1
        assert heard == [uuid.UUID(body["id"])]
        assert fold.fold(session) == 0 and len(heard) == 1
    finally:
        announce.unsubscribe(listener)


def test_a_failed_fold_leaves_the_rows_pending_for_the_next(manual, client, build, session, monkeypatch):
    _device, token = build.device()
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    session.rollback()
    real = rollups.apply

    def broken(*args, **kwargs):
        raise RuntimeError("the rollups failed")

    monkeypatch.setattr(rollups, "apply", broken)
    with pytest.raises(RuntimeError):
        fold.fold(session)
    assert (pending(session), hourly_total(session)) == (1, 0)
    monkeypatch.setattr(rollups, "apply", real)
    assert fold.fold(session) == 1 and hourly_total(session) == 1


def test_the_background_folder_folds_soon_after_the_answer(app, client, build, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "background")
    _device, token = build.device()
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    deadline = time.monotonic() + 10
    with app.app_context():
        while pending(db.session):  # read without folding: only the thread folds
            assert time.monotonic() < deadline, "the background folder never folded"
            db.session.rollback()
            time.sleep(0.02)
        assert hourly_total(db.session) == 1


def test_flask_rollups_fold_counts_what_is_pending(manual, app, client, build, session):
    _device, token = build.device()
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    result = app.test_cli_runner().invoke(args=["rollups", "fold"])
    assert result.exit_code == 0 and "Folded 1 responses" in result.output
    session.rollback()
    assert (pending(session), hourly_total(session)) == (0, 1)
