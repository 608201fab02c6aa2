"""The guarantees of a tap under the fold (issue 14), with everything at once: taps of 8 threads
repeating the same ids, folds running beside them as other nodes' folders would, replays across
the fold, spam marks and ``flask rollups rebuild`` in the middle. Afterwards every id is stored
once, answered 201 once, replayed alike, flagged by the repeat-tap rule as if the taps had come
one by one, and the rollups are exactly what a rebuild from the raw responses makes.

The revoked-token rule across processes is tests/api/test_token_cache.py."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import FollowupDaily, Response, ResponseHourly
from feedback.services import comments, fold, rollups
from feedback.services.actors import CLI
from feedback.services.repeat_taps import Tap, repeat_taps
from tests.builders import auth, response_body
from tests.helpers.responses import say

THREADS = 8


def rollup_rows(session) -> dict[str, Counter]:
    """Both rollup tables as key -> counts, without emptied buckets."""
    out: dict[str, Counter] = {}
    for table in (ResponseHourly.__table__, FollowupDaily.__table__):
        keys = [c.name for c in table.primary_key.columns]
        counts = [c.name for c in table.columns if c.name not in keys and c.name not in ("id", "weekday")]
        rows = Counter()
        for row in session.execute(select(table)).mappings():
            values = tuple(int(row[c]) for c in counts)
            if any(values):
                rows[tuple(str(row[k]) for k in keys)] = values
        out[table.name] = rows
    return out


def assert_rollups_match_a_rebuild(app) -> None:
    with app.app_context():
        session = db.session
        assert fold.fold(session) >= 0
        assert not fold.has_pending(session)
        folded = rollup_rows(session)
        session.commit()
        rollups.rebuild(session)  # in a transaction rolled back below: a comparison, not a repair
        rebuilt = rollup_rows(session)
        session.rollback()
        assert folded == rebuilt
        counted = session.scalar(
            select(func.count()).select_from(Response).where(Response.comment_state.is_distinct_from("spam"))
        )
        assert session.scalar(select(func.coalesce(func.sum(ResponseHourly.n), 0))) == counted


def in_threads(app, work, count: int) -> list:
    """Run ``work(i)`` in ``count`` threads, each in its own app context, started together."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except BaseException as exc:  # noqa: BLE001  (reported by the test below)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


@pytest.mark.parametrize("mode", ["background", "off"])
def test_eight_threads_repeating_the_same_ids_beside_folds(app, build, monkeypatch, mode):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", mode)
    monkeypatch.setitem(app.config, "ROLLUP_FOLD_DELAY_SECONDS", 0.005)
    kiosks = [build.device() for _ in range(3)]
    now = datetime.now(UTC).replace(microsecond=0)
    bodies = []  # (token, body): taps 0.5-4 s apart per kiosk, so some are repeats
    for k, (_device, token) in enumerate(kiosks):
        when = now - timedelta(minutes=30 - k)
        for n in range(20):
            when += timedelta(seconds=random.Random(n * 7 + k).choice([0.5, 1.5, 3, 4]))
            extra = {"followup_offered": ["ease"], "followup_chosen": ["ease"]} if n % 3 == 0 else {}
            bodies.append((token, response_body(rating=1 + (n * 3 + k) % 5, when=when, **extra)))
    stop = threading.Event()

    def other_nodes_folding() -> None:
        with app.app_context():
            while not stop.is_set():
                fold.fold(db.session)
                db.session.remove()

    folders = [threading.Thread(target=other_nodes_folding) for _ in range(2)]
    for folder in folders:
        folder.start()
    try:

        def post_all(i: int) -> list[tuple[str, int, dict]]:
            client = app.test_client()
            order = list(bodies)
            random.Random(i).shuffle(order)
            answers = []
            for token, body in order:
                reply = client.post("/api/v1/responses", json=body, headers=auth(token))
                answers.append((body["id"], reply.status_code, reply.get_json()))
            return answers

        answers = [a for per_thread in in_threads(app, post_all, THREADS) for a in per_thread]
    finally:
        stop.set()
        for folder in folders:
            folder.join(30)

    statuses = Counter((rid, status) for rid, status, _ in answers)
    for _token, body in bodies:
        assert statuses[(body["id"], 201)] == 1, body["id"]  # created once
        assert statuses[(body["id"], 200)] == THREADS - 1  # every other thread: a replay
    assert {status for _, status, _ in answers} == {200, 201}
    first = {rid: reply for rid, status, reply in answers if status == 201}
    # Replays answer with the stored record, as the 201 did; only the repeat flag may have moved
    # since, when a tap earlier in time arrived later (the rule is checked against all taps below).
    same = {rid: {k: v for k, v in reply.items() if k != "suspect"} for rid, reply in first.items()}
    assert all({k: v for k, v in reply.items() if k != "suspect"} == same[rid] for rid, _s, reply in answers)

    assert_rollups_match_a_rebuild(app)
    client = app.test_client()
    token, body = bodies[5]
    again = client.post("/api/v1/responses", json=body, headers=auth(token))  # a replay after the fold
    assert (again.status_code, {k: v for k, v in again.get_json().items() if k != "suspect"}) == (200, same[body["id"]])
    clash = client.post("/api/v1/responses", json=dict(body, rating=body["rating"] % 5 + 1), headers=auth(token))
    assert clash.status_code == 409

    with app.app_context():
        stored = db.session.execute(select(Response.id, Response.device_id, Response.client_time, Response.suspect))
        rows = stored.all()
        assert len(rows) == len(bodies)  # each id stored once
        expected: dict[uuid.UUID, bool] = {}
        for device_id in {r.device_id for r in rows}:
            mine = [Tap(r.client_time, r.id) for r in rows if r.device_id == device_id]
            expected |= repeat_taps(mine, timedelta(seconds=2))
        assert {r.id: r.suspect for r in rows} == expected  # as if the taps had come one by one
        assert any(expected.values()) and not all(expected.values())


def test_spam_marks_and_a_rebuild_during_taps_and_folds_agree_with_the_responses(app, build, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")  # rows stay pending until a fold takes them
    location = build.location()
    _device, token = build.device(location)
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        said = [
            say(db.session, location, 1 + k % 5, now - timedelta(minutes=60 - k), f"comment {k}", choices=("ease",))
            for k in range(40)
        ]
        db.session.commit()
        # Spam marked and undone while the rows still wait for the fold: no rollup row moves.
        comments.act(db.session, CLI, {location.id}, "mark_spam", said[1:3])
        comments.act(db.session, CLI, {location.id}, "unmark_spam", said[2:3])
        assert fold.has_pending(db.session)
    assert_rollups_match_a_rebuild(app)  # folds first

    def work(i: int) -> None:
        session = db.session
        if i == 0:  # marks spam in small groups, some still pending, some folded
            for k in range(0, 40, 4):
                comments.act(session, CLI, {location.id}, "mark_spam", said[k : k + 3])
            comments.act(session, CLI, {location.id}, "unmark_spam", said[0:3])
        elif i == 1:  # flask rollups rebuild, twice
            runner = app.test_cli_runner()
            for _ in range(2):
                result = runner.invoke(args=["rollups", "rebuild"])
                assert result.exit_code == 0, result.output
        elif i in (2, 3):  # two folders
            for _ in range(15):
                fold.fold(session)
        else:  # kiosk taps keep coming
            client = app.test_client()
            for k in range(15):
                body = response_body(rating=1 + k % 5, when=now - timedelta(minutes=20, seconds=10 * k + i))
                assert client.post("/api/v1/responses", json=body, headers=auth(token)).status_code == 201

    in_threads(app, work, 6)
    assert_rollups_match_a_rebuild(app)
    with app.app_context():
        spam = db.session.scalar(select(func.count()).where(Response.comment_state == "spam"))
        assert spam == 27  # 10 groups of 3, less the 3 unmarked
