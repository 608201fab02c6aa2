"""What the write services announce: each stored response once, after its commit; nothing for a
refused, replayed or rolled-back one; a failing listener never fails the write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Response
from feedback.services import announce, followup_update, phone
from feedback.services import ingest as ingest_module
from feedback.services.errors import Conflict, InvalidInput
from feedback.services.ingest import IngestPolicy, ingest

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
POLICY = IngestPolicy()


def tap(rating: int, seconds: float = 0, **extra) -> dict:
    """One kiosk response as ResponseInSchema loads it, ``seconds`` after 15:00 UTC."""
    return {
        "id": uuid.uuid4(),
        "rating": rating,
        "language": "en",
        "client_time": NOW - timedelta(hours=1) + timedelta(seconds=seconds),
        "survey_version": None,
        "followup_offered": [],
        "followup_chosen": [],
        **extra,
    }


def committed_ids() -> set[uuid.UUID]:
    """The response ids another connection sees: only what is committed."""
    with db.engine.connect() as conn:
        return set(conn.scalars(select(Response.id)))


class Heard:
    """A listener that keeps each announcement and what was committed when it came."""

    def __init__(self) -> None:
        self.announcements: list[announce.Stored] = []
        self.committed_then: list[set[uuid.UUID]] = []

    def __call__(self, session, stored: announce.Stored) -> None:
        self.announcements.append(stored)
        self.committed_then.append(committed_ids())

    @property
    def ids(self) -> list[uuid.UUID]:
        return [r.id for stored in self.announcements for r in stored.responses]


@pytest.fixture
def heard():
    listener = Heard()
    announce.subscribe(listener)
    yield listener
    announce.unsubscribe(listener)


@pytest.fixture
def device(build):
    device, _token = build.device()
    return device


def test_a_stored_response_is_announced_once_after_its_commit(session, device, heard):
    item = tap(1)
    [result] = ingest(session, device, [item], now=NOW)
    [stored] = heard.announcements
    assert heard.committed_then == [{item["id"]}]  # the listener ran after the commit
    [response] = stored.responses
    assert stored.now == NOW and stored.location_ids == {device.location_id}
    assert response == result.response
    assert (response.id, response.rating, response.channel, response.scale) == (item["id"], 1, "kiosk", "faces5")
    assert (response.suspect, response.received_at, response.device_id) == (False, NOW, device.id)
    assert response.client_time == item["client_time"]


def test_a_replay_is_not_announced_again(session, device, heard):
    item = tap(2)
    ingest(session, device, [item], now=NOW)
    [replay] = ingest(session, device, [item], now=NOW + timedelta(minutes=1))
    assert not replay.created
    assert heard.ids == [item["id"]]


def test_a_batch_announces_only_what_it_stored_each_once(session, device, heard):
    old = tap(5)
    ingest(session, device, [old], now=NOW)
    new = tap(1, seconds=30)
    results = ingest(session, device, [old, new, new], now=NOW)
    assert [r.created for r in results] == [False, True, False]
    assert heard.ids == [old["id"], new["id"]]  # one announcement per call
    assert [len(s.responses) for s in heard.announcements] == [1, 1]


def test_refused_and_conflicting_responses_are_not_announced(session, device, heard):
    with pytest.raises(InvalidInput):
        ingest(session, device, [tap(1), tap(9, seconds=10)], now=NOW)  # off the scale: the batch is refused
    stored = tap(3)
    ingest(session, device, [stored], now=NOW)
    with pytest.raises(Conflict):
        ingest(session, device, [dict(stored, rating=4)], now=NOW)
    assert heard.ids == [stored["id"]]


def test_a_rolled_back_write_is_not_announced(session, device, heard, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the write failed after its insert")

    monkeypatch.setattr(ingest_module, "reflag", broken)  # runs after the insert, in its transaction
    with pytest.raises(RuntimeError):
        ingest(session, device, [tap(1)], now=NOW)
    assert heard.announcements == []
    assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_failing_listener_never_fails_the_write(session, device, heard):
    def broken(session, stored):
        raise RuntimeError("a listener is broken")

    announce.unsubscribe(heard)
    announce.subscribe(broken)
    announce.subscribe(heard)  # after the broken one: it still hears
    try:
        item = tap(1)
        [result] = ingest(session, device, [item], now=NOW)
    finally:
        announce.unsubscribe(broken)
    assert result.created and heard.ids == [item["id"]]
    assert committed_ids() == {item["id"]}


def test_a_phone_answer_is_announced_when_stored_and_when_it_counts_differently(session, build, heard):
    location = build.location()
    version = location.survey.current_version()
    response_id = uuid.uuid4()

    def save(step: str, rating: int, choices=(), comment=None, now=NOW):
        return phone.save_answer(
            session,
            location,
            version,
            response_id=response_id,
            step=step,
            rating=rating,
            language="en",
            choices=choices,
            comment=comment,
            mine={response_id},
            repeat=False,
            policy=POLICY,
            now=now,
        )

    assert save("rate", 4).created
    [first] = heard.announcements
    assert [(r.id, r.channel, r.rating, r.device_id) for r in first.responses] == [(response_id, "qr", 4, None)]
    assert heard.committed_then == [{response_id}]

    assert not save("send", 4, comment="Thank you").created  # the comment alone: counted the same
    assert len(heard.announcements) == 1

    later = NOW + timedelta(minutes=2)
    corrected = save("rate", 1, now=later)
    [_, second] = heard.announcements
    assert second.now == later and [r.rating for r in second.responses] == [1]
    assert corrected.response == second.responses[0] and corrected.response.comment == "Thank you"


def test_a_refused_phone_update_is_not_announced(session, build, heard):
    location = build.location()
    version = location.survey.current_version()
    response_id = uuid.uuid4()
    phone.submit(
        session,
        location,
        response_id=response_id,
        rating=5,
        language="en",
        survey_version=version.id,
        followup_offered=[],
        followup_chosen=[],
        comment=None,
        repeat=False,
        now=NOW,
    )
    with pytest.raises(followup_update.Closed):
        followup_update.update(
            session,
            location,
            response_id,
            followup_update.Change(rating=1),
            mine={response_id},
            now=NOW + timedelta(hours=1),
            window=timedelta(minutes=30),
        )
    assert heard.ids == [response_id]
