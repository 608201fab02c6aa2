"""Concurrent requests (as from several gunicorn workers): nothing doubled, nothing missed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from feedback.models import Response
from tests.builders import auth, response_body


def run_together(app, calls):
    """Run each (path, json, headers) POST in its own thread, released at the same moment."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def worker(i, path, body, headers):
        client = app.test_client()
        barrier.wait()
        statuses[i] = client.post(path, json=body, headers=headers).status_code

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def test_same_id_at_once_is_stored_once(app, session, build):
    _device, token = build.device()
    body = response_body(rating=4)
    statuses = run_together(app, [("/api/v1/responses", body, auth(token))] * 4)
    assert sorted(statuses) == [200, 200, 200, 201]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_two_taps_of_one_kiosk_at_once_still_count_as_a_repeat(app, session, build):
    _device, token = build.device()
    now = datetime.now(UTC)
    first = response_body(rating=5, when=now - timedelta(seconds=1))
    second = response_body(rating=5, when=now)
    for _ in range(3):
        statuses = run_together(
            app, [("/api/v1/responses", first, auth(token)), ("/api/v1/responses", second, auth(token))]
        )
        assert sorted(statuses) in ([201, 201], [200, 200])
    session.rollback()
    flags = sorted(session.scalars(select(Response.suspect)))
    assert flags == [False, True]  # whichever arrived first, the pair counts once
