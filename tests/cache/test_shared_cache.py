"""The cache the nodes share (feedback/cache.py, issue 15 item 4): the public scoreboard's pages in
Redis when REDIS_URL is set, one copy for every node, filed anew on every node when the figures
change; this process's memory without Redis; Redis away never fails the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from feedback.database import write_transaction
from feedback.models import Office
from feedback.services import comments, standards
from feedback.services.actors import CLI
from feedback.services.fiscal import FiscalQuarter
from tests.conftest import OwnContextClient
from tests.dbfaults import TcpProxy, free_port, isolated_app
from tests.helpers.responses import put, say

REDIS = "redis://127.0.0.1:6379/12"  # this branch's Redis database for the cache tests


@pytest.fixture
def prefix():
    """Keys of this test only; removed afterwards."""
    prefix = f"test-cache-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def node(app, database_url, tmp_path):
    """A node of its own on the suite's database, its cache at ``url`` (Redis) or in memory."""
    count = iter(range(100))

    def make(url: str | None, prefix: str = "", **config):
        cache = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix} if url else {}
        settings = {"CACHE_TYPE": "SimpleCache", **cache, "CACHE_OPTIONS": _timeouts(url), **config}
        return isolated_app(app, database_url, tmp_path / f"node{next(count)}", **settings)

    return make


def _timeouts(url):
    return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if url else None


def browser(node_app):
    return OwnContextClient(node_app, node_app.response_class)


@pytest.fixture
def this_quarter():
    return FiscalQuarter.of(datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")).date())


@pytest.fixture
def office(session, build, this_quarter):
    office = build.office("Chicago Passport Agency", "America/Chicago")
    counter = build.location("CHI-1", office=office)
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = True
    put(session, counter, [5] * 12, this_quarter.start)
    return office


@pytest.fixture
def renders(monkeypatch):
    """Each scoreboard read from the database (a page that was not in the cache)."""
    seen: list[int] = []
    real = standards.scoreboard
    monkeypatch.setattr(standards, "scoreboard", lambda s, office, **k: seen.append(office.id) or real(s, office, **k))
    return seen


def responses_on(body: str) -> str:
    row = body[body.index("All counters") :]
    return row.split("</td>")[2].rsplit(">", 1)[-1].strip()


def test_two_nodes_share_one_page_and_one_invalidation(node, office, session, build, this_quarter, prefix, renders):
    url = f"/scores/{office.slug}?lang=en"
    with node(REDIS, prefix) as one, node(REDIS, prefix) as two:
        first = browser(one).get(url)
        assert first.status_code == 200 and renders == [office.id]
        second = browser(two).get(url)  # the other node finds the page the first one kept
        assert second.get_data() == first.get_data() and second.headers["ETag"] == first.headers["ETag"]
        assert renders == [office.id]
        assert any(k.startswith(prefix.encode()) for k in redis.Redis.from_url(REDIS).scan_iter(f"{prefix}*"))

        counter = office.locations[0]
        with one.app_context():  # responses counted through node one: both nodes read them
            from feedback.extensions import db

            put(db.session, counter, [1] * 3, this_quarter.start, hour=12)
        after = browser(two).get(url)
        assert renders == [office.id, office.id]
        assert responses_on(after.get_data(as_text=True)) == "15"
        assert browser(one).get(url).get_data() == after.get_data() and len(renders) == 2


def test_a_spam_mark_and_a_target_change_file_the_page_anew(node, office, session, prefix, renders):
    url = f"/scores/{office.slug}?lang=en"
    counter = office.locations[0]
    with node(REDIS, prefix) as one, node(REDIS, prefix) as two:
        with one.app_context():
            from feedback.extensions import db

            spam = say(db.session, counter, 1, datetime.now(UTC), "buy cheap watches")
        assert responses_on(browser(one).get(url).get_data(as_text=True)) == "13"
        assert len(renders) == 1
        with one.app_context():
            comments.act(db.session, CLI, {counter.id}, "mark_spam", [spam])
        assert responses_on(browser(two).get(url).get_data(as_text=True)) == "12"
        assert len(renders) == 2
        with two.app_context(), write_transaction(db.session):
            db.session.get(Office, office.id).csat_target = 0.5
        body = browser(one).get(url).get_data(as_text=True)
        assert len(renders) == 3 and "50%" in body


def test_without_redis_each_process_keeps_its_pages(node, office, renders):
    url = f"/scores/{office.slug}?lang=en"
    with node(None) as one:
        assert one.config["CACHE_TYPE"] == "SimpleCache"
        first = browser(one).get(url)
        assert browser(one).get(url).headers["ETag"] == first.headers["ETag"]
        assert renders == [office.id]
    with node(None) as other:  # another process: its own memory
        assert browser(other).get(url).headers["ETag"] == first.headers["ETag"]
        assert len(renders) == 2


def test_redis_away_the_page_is_rendered_from_the_database(node, office, caplog, renders):
    url = f"/scores/{office.slug}?lang=en"
    with node(f"redis://127.0.0.1:{free_port()}/12", CACHE_RETRY_SECONDS=60) as fault:
        pages = [browser(fault).get(url) for _ in range(3)]
        assert [p.status_code for p in pages] == [200, 200, 200]
        assert responses_on(pages[0].get_data(as_text=True)) == "12"
        assert len(renders) == 3  # nothing kept, every page from the database
        assert sum("Shared cache" in r.getMessage() for r in caplog.records) == 1  # logged once


def test_the_app_reads_redis_url_for_its_cache(monkeypatch):
    from feedback.config import load_config

    monkeypatch.setenv("REDIS_URL", REDIS)
    settings = load_config()
    assert settings["CACHE_TYPE"] == "RedisCache" and settings["CACHE_REDIS_URL"] == REDIS
    assert settings["CACHE_OPTIONS"]["socket_timeout"] == 1
    monkeypatch.delenv("REDIS_URL")
    assert load_config()["CACHE_TYPE"] == "SimpleCache"


def test_changes_missed_while_redis_was_away_never_leave_a_stale_page(node, office, this_quarter, prefix, renders):
    """A bump that could not reach Redis would leave the old page there: the first call that
    reaches Redis again files every page afresh."""
    proxy = TcpProxy(6379).start()
    url = f"/scores/{office.slug}?lang=en"
    try:
        with node(f"redis://127.0.0.1:{proxy.port}/12", prefix, CACHE_RETRY_SECONDS=0) as one:
            assert responses_on(browser(one).get(url).get_data(as_text=True)) == "12"  # kept in Redis
            with proxy.down():
                with one.app_context():
                    from feedback.extensions import db

                    put(db.session, office.locations[0], [5] * 2, this_quarter.start, hour=13)  # bump lost
                assert responses_on(browser(one).get(url).get_data(as_text=True)) == "14"
            assert responses_on(browser(one).get(url).get_data(as_text=True)) == "14"  # not the kept "12"
            assert len(renders) == 3
    finally:
        proxy.stop()
