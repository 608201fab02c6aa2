"""Redis down never stops a phone answer (issue 11, item 4).

Limits fail open to each process's memory (the same limits, counted per process), the outage is
logged once per interval, and the readiness check reports it (the node stays ready: "degraded").
When Redis answers again, Flask-Limiter goes back to it at its next check (1, 2, 4 ... s).
"""

from __future__ import annotations

import logging
import time

import pytest
import redis

from feedback import ratelimit
from feedback.extensions import limiter
from tests.conftest import OwnContextClient
from tests.dbfaults import TcpProxy, free_port, isolated_app
from tests.phone.helpers import answer, stored

REDIS_PORT = 6379
REDIS_DB = 13  # this branch's Redis database (the rate-limit CI step uses 15)


@pytest.fixture
def node(app, database_url, tmp_path):
    """A node on the suite's database whose limits are kept in the Redis at ``url``."""

    def make(url: str, **config):
        settings = {"RATELIMIT_STORAGE_URI": url, "PHONE_LIMIT_PER_IP": "3 per minute", **config}
        return isolated_app(app, database_url, tmp_path, **settings)

    return make


def phone(node_app):
    return OwnContextClient(node_app, node_app.response_class, use_cookies=True)


def test_phone_answers_are_stored_while_redis_refuses_connections(node, slug, caplog):
    """Before: the first answer rose as a redis ConnectionError: 500, nothing stored."""
    caplog.set_level(logging.INFO)
    with node(f"redis://127.0.0.1:{free_port()}/{REDIS_DB}") as fault_app:
        client = phone(fault_app)
        statuses = [answer(client, slug, rating)[0].status_code for rating in (5, 4, 3, 2)]
        assert statuses == [303, 303, 303, 429]  # the per-IP limit still holds, in this process
        assert len(stored()) == 3
        assert ratelimit.on_fallback()

        ready = client.get("/readyz")
        assert ready.status_code == 200  # a load balancer keeps the node: every node shares Redis
        body = ready.get_json()
        assert body["status"] == "degraded"
        assert body["checks"]["rate_limits"] == {
            "ok": False,
            "storage": "redis",
            "limits": "per process",
            "detail": "Redis is not answering: each process limits on its own until it does.",
        }
        assert body["checks"]["database"]["ok"] is True

    switched = [r for r in caplog.records if r.name == "flask-limiter" and "falling back" in r.getMessage()]
    assert len(switched) == 1
    reported = [r for r in caplog.records if r.name == "feedback.outages"]
    assert [r.getMessage() for r in reported] == [
        "Rate-limit storage unavailable: limits are counted in each process's memory until it answers again"
    ]  # once for four limited requests, not once each


def test_the_outage_is_logged_again_once_per_interval(node, slug, caplog):
    with node(
        f"redis://127.0.0.1:{free_port()}/{REDIS_DB}", OUTAGE_LOG_SECONDS=0, PHONE_LIMIT_PER_IP="100/minute"
    ) as fault_app:
        client = phone(fault_app)
        for rating in (5, 4, 3):
            assert answer(client, slug, rating)[0].status_code == 303
    lines = [r.getMessage() for r in caplog.records if r.name == "feedback.outages"]
    assert len(lines) == 3  # an interval of 0: every limited request reports
    assert lines[1].startswith("Rate-limit storage still unavailable after") and "(1 failures" in lines[1]


class FakeTime:
    """Flask-Limiter's clock for its Redis checks (``time.time``), moved by the test."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def real_redis():
    server = redis.Redis(port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at 127.0.0.1:{REDIS_PORT} (.ci/run starts one)")
    proxy = TcpProxy(REDIS_PORT).start()
    yield server, proxy
    proxy.stop()


def test_limits_go_back_to_redis_when_it_answers_again(node, slug, real_redis, monkeypatch, caplog):
    server, proxy = real_redis
    clock = FakeTime()
    monkeypatch.setattr("flask_limiter._extension.time", clock)
    with node(f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}") as fault_app:
        client = phone(fault_app)
        try:
            assert answer(client, slug, 5)[0].status_code == 303
            assert list(server.scan_iter(f"*location:{slug}*"))  # counted in Redis
            with proxy.down():
                assert answer(client, slug, 4)[0].status_code == 303
                assert ratelimit.on_fallback()
                assert client.get("/readyz").get_json()["status"] == "degraded"
            assert client.get("/readyz").get_json()["status"] == "ok"  # Redis answers; limits catch up:
            clock.now += 60  # Flask-Limiter's next check of Redis is due
            assert answer(client, slug, 3)[0].status_code == 303
            assert not ratelimit.on_fallback()
            assert client.get("/readyz").get_json()["checks"]["rate_limits"]["limits"] == "shared"
            assert len(stored()) == 3
        finally:
            limiter.reset()
    assert any(r.getMessage().startswith("Rate-limit storage available again") for r in caplog.records)
