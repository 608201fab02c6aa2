"""Faults against a real gunicorn while kiosks post (issue 11, "What must show").

One run per database (``DATABASE_URL`` chooses, as for the suite); CI: ``.ci/run``. Six kiosks
tap and send their outboxes the whole time while the test, in turn:

1. kills the server (master and workers, SIGKILL) mid-load and starts it again;
2. makes the database refuse: PostgreSQL through a TCP proxy that is cut and restored; SQLite
   locked by another process beyond the busy timeout, and (after a restart) its file made
   read-only, then writable again without a restart;
3. takes Redis away (a TCP proxy in front of it) while phones answer the survey, and back.

Then it proves, from what every client saw and from the database: no 500, ever; each database
fault answered 503 with Retry-After; liveness and readiness told the truth in every window;
the node recovered by itself within a second of the database coming back; and every
acknowledged response is stored exactly once (rows and rollups).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext

import pytest
import redis
import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from feedback.config import normalize_database_url
from feedback.models import Response, ResponseHourly
from feedback.services import fold
from tests.conftest import _fresh_database
from tests.dbfaults import TcpProxy, free_port, is_sqlite, make_read_only, make_writable, through_proxy
from tests.faults.harness import Gunicorn, Kiosk, Monitor, Phone, Timeline, Window
from tests.faults.seed import seed

KIOSKS = 6
REDIS_DB = 13
FAULT_SECONDS = 2.5
STEADY_SECONDS = 1.5
RECOVERY_SECONDS = 1.0  # "it recovers by itself within a second"
SETTLE_SECONDS = 0.3  # a probe sent this long after a fault began meets it


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    with _fresh_database(tmp_path_factory.mktemp("faults-db")) as url:
        yield url


@pytest.fixture(scope="module")
def redis_proxy():
    try:
        redis.Redis(port=6379, db=REDIS_DB, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail("the fault test needs Redis at 127.0.0.1:6379 (.ci/run starts one)")
    proxy = TcpProxy(6379).start()
    yield proxy
    proxy.stop()


@contextmanager
def sqlite_write_lock(path: str):
    """Another process's long write transaction (a backup tool, a stuck sqlite3 shell)."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_faults_never_cost_a_response(database, redis_proxy, tmp_path, capsys):
    world = seed(database, tmp_path / "seed", kiosks=KIOSKS)
    sqlite_db = is_sqlite(database)
    db_proxy = None if sqlite_db else TcpProxy(make_url(database).port or 5432).start()
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "DATABASE_URL": database if sqlite_db else through_proxy(database, db_proxy),
        "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
        "RATELIMIT_KEY_PREFIX": f"faults-{port}",
        "SECRET_KEY": "fault-test-secret-key-not-for-production",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "FEEDBACK_ENV": "development",
        "SQLITE_BUSY_TIMEOUT_SECONDS": "1",
        "READINESS_TIMEOUT_SECONDS": "0.5",
        "RETRY_AFTER_SECONDS": "2",
        "ALERTS_ON_INGEST": "false",
        "PHONE_LIMIT_PER_IP": "1000 per minute",
        "PHONE_LIMIT_PER_LOCATION": "1000 per minute",
    }
    server = Gunicorn(port, env, tmp_path / "gunicorn.log")
    timeline, faults = Timeline(), []
    stop = threading.Event()
    kiosks = [Kiosk(port, token, stop) for token in world["tokens"]]
    monitor = Monitor(port, stop)
    phones = [Phone(port, world["slug"]) for _ in range(3)]
    db_path = make_url(database).database if sqlite_db else None

    def steady(name: str) -> Window:
        window = timeline.open(name)
        time.sleep(STEADY_SECONDS)
        timeline.close(window)
        return window

    def database_fault(name: str, fault) -> None:
        window = timeline.open(name)
        with fault():
            time.sleep(FAULT_SECONDS)
        timeline.close(window)
        faults.append(window)

    server.start()
    try:
        for thread in (*kiosks, monitor):
            thread.start()
        steady("steady")

        down = timeline.open("killed")  # 1. the server dies mid-load and comes back
        server.kill()
        time.sleep(1)
        timeline.close(down)
        restart = timeline.open("restarting")
        server.start()
        timeline.close(restart)
        steady("after restart")

        if sqlite_db:  # 2. the database refuses writes
            database_fault("database locked", lambda: sqlite_write_lock(db_path))
        else:
            database_fault("database cut", db_proxy.down)
        steady("after database fault")

        redis_down = timeline.open("redis down")  # 3. Redis away while phones answer
        with redis_proxy.down():
            for rating in (5, 4, 2, 1, 3, 5):
                phones[rating % 3].answer(rating)
            time.sleep(max(0.0, redis_down.start + FAULT_SECONDS - time.monotonic()))
        timeline.close(redis_down)
        after_redis = timeline.open("after redis")
        for rating in (4, 5):
            phones[0].answer(rating)
        time.sleep(STEADY_SECONDS)
        timeline.close(after_redis)

        if sqlite_db:  # the node starts while its file is read-only, and heals without a restart
            restart = timeline.open("restart on a read-only file")
            server.kill()
            make_read_only(db_path)
            try:
                server.start()
                timeline.close(restart)
                database_fault("database read-only", nullcontext)  # on since before the start
            finally:
                make_writable(db_path)
            steady("after read-only")
    finally:
        stop.set()
        for thread in (*kiosks, monitor):
            thread.join(30)
    try:
        for kiosk in kiosks:
            kiosk.drain()
    finally:
        server.stop()
        if db_proxy is not None:
            db_proxy.stop()

    report = judge(timeline, faults, kiosks, phones, monitor, redis_down)
    check_store(database, kiosks, phones)
    with capsys.disabled():
        print(f"\n[faults, {'sqlite' if sqlite_db else 'postgresql'}] " + report)


def judge(timeline: Timeline, faults: list[Window], kiosks, phones, monitor, redis_down: Window) -> str:
    answers = [a for kiosk in kiosks for a in kiosk.answers]
    phone_answers = [a for phone in phones for a in phone.answers]
    probes = monitor.probes
    every = answers + phone_answers + probes["/livez"] + probes["/readyz"]

    # Never a 500 (nor any 5xx but 503), and every 503 says when to come back.
    assert not [a for a in every if a.status and a.status >= 500 and a.status != 503], "a 5xx other than 503"
    unavailable = [a for a in every if a.status == 503]
    assert all(int(a.headers.get("retry-after", "0")) > 0 for a in unavailable), "a 503 without Retry-After"
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers if a.status == 503)
    assert not [a for a in answers if a.status and 400 <= a.status < 500], "a valid batch was refused"

    lines = []
    for window in timeline.windows:
        inside = [a for a in answers if window.holds(a)]
        live = [a for a in probes["/livez"] if window.holds(a, SETTLE_SECONDS)]
        ready = [a for a in probes["/readyz"] if window.holds(a, SETTLE_SECONDS)]
        if window in faults:  # the database refuses: 503s, not ready, still live
            assert any(a.status == 503 for a in inside), f"{window.name}: no 503"
            assert ready and all(a.status == 503 for a in ready), f"{window.name}: readiness said ready"
            assert live and all(a.status == 200 for a in live), f"{window.name}: liveness failed"
        elif window.name == "killed":
            assert all(a.status is None for a in live + ready), "a dead server answered its health checks"
        elif window is redis_down:
            assert ready and all(a.status == 200 and a.json()["status"] == "degraded" for a in ready), "redis"
            assert all(a.status == 303 for a in phone_answers if window.holds(a)), "a phone answer was refused"
            assert all(a.status in (200, 201) for a in inside), "Redis is not on the kiosks' path"
        elif window.name.startswith(("steady", "after")):  # healthy again, within a second
            late = [a for a in answers if window.holds(a, RECOVERY_SECONDS)]
            late_ready = [a for a in probes["/readyz"] if window.holds(a, RECOVERY_SECONDS)]
            assert all(a.status in (200, 201) for a in late), f"{window.name}: not recovered within a second"
            unready = [(a.status, a.body[:300]) for a in late_ready if a.status != 200 or a.json()["status"] != "ok"]
            assert late_ready and not unready, f"{window.name}: not ready: {unready}"
        counts = {status: sum(a.status == status for a in inside) for status in (201, 200, 503, None)}
        lines.append(
            f"{window.name} {window.end - window.start:.1f}s: "
            + ", ".join(f"{'no answer' if s is None else s}×{n}" for s, n in counts.items() if n)
        )
    assert all(a.status == 303 for a in phone_answers), "a phone answer was not taken"
    for window in faults:  # time from the database's return to the first stored batch
        back = [a.done - window.end for a in answers if a.sent >= window.end and a.status in (200, 201)]
        ready = [a.done - window.end for a in probes["/readyz"] if a.sent >= window.end and a.status == 200]
        lines.append(
            f"{window.name}: ready again {min(ready):.2f}s and first batch stored {min(back):.2f}s after the end"
        )
    return "; ".join(lines)


def check_store(database: str, kiosks, phones) -> None:
    """From the database: every acknowledged response exactly once, and nothing else."""
    assert not [k for k in kiosks if k.outbox], "an outbox was not emptied after the faults"
    made = set().union(*(k.made for k in kiosks))
    acknowledged = set().union(*(k.acknowledged for k in kiosks))
    assert acknowledged == made
    engine = sqlalchemy.create_engine(normalize_database_url(database), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            kiosk_ids = [str(i) for i in connection.scalars(select(Response.id).where(Response.channel == "kiosk"))]
            phone_ids = {str(i) for i in connection.scalars(select(Response.id).where(Response.channel == "qr"))}
            rows = connection.scalar(select(func.count()).select_from(Response))
        # A node killed between a tap's answer and its fold leaves that row pending; the next reader
        # or the scheduler's rollups-fold job counts it (services/fold.py): fold as they would.
        with Session(engine) as session:
            fold.fold(session)
        with engine.connect() as connection:
            counted = connection.scalar(select(func.sum(ResponseHourly.n)))
    finally:
        engine.dispose()
    assert len(kiosk_ids) == len(set(kiosk_ids)) == len(made) and set(kiosk_ids) == made
    phone_acknowledged = set().union(*(p.acknowledged for p in phones))
    assert phone_ids == phone_acknowledged
    assert counted == rows == len(made) + len(phone_acknowledged)  # the rollups count each once too
