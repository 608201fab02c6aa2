"""Flask-Limiter on the phone survey's posts: per client IP and per location.

Runs with the storage the environment configures: memory by default, Redis when
REDIS_URL is set (CI: ``REDIS_URL=redis://127.0.0.1:6379/15 pytest tests/phone/test_rate_limits.py``).
The first test checks which one is really in use, so neither run silently tests the other.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from limits.storage import MemoryStorage, RedisStorage

from feedback.extensions import limiter
from feedback.services import survey_links
from tests.phone.helpers import answer, open_survey, post, slug_for, stored

REDIS_URL = os.environ.get("REDIS_URL")
TOO_MANY = "Too many answers from this connection"


def ip(address: str) -> dict:
    return {"REMOTE_ADDR": address}


def limit(app, monkeypatch, *, per_ip: str = "1000 per minute", per_location: str = "1000 per minute") -> None:
    monkeypatch.setitem(app.config, "PHONE_LIMIT_PER_IP", per_ip)
    monkeypatch.setitem(app.config, "PHONE_LIMIT_PER_LOCATION", per_location)


def ids_stored() -> set[uuid.UUID]:
    return {row["id"] for row in stored()}


# --- which storage ---------------------------------------------------------------------------------


def test_limits_are_kept_where_the_environment_says(app, client, slug):
    """Redis when REDIS_URL is set, memory otherwise; each run checks that it really uses its own."""
    if REDIS_URL:
        _check_redis(app, client, slug)
    else:
        _check_memory(app, client, slug)


def _check_redis(app, client, slug):
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert isinstance(limiter.storage, RedisStorage)
    assert limiter.storage.check()  # reachable
    server = redis.Redis.from_url(REDIS_URL)
    pattern = f"*{app.config['RATELIMIT_KEY_PREFIX']}*"
    assert not [k for k in server.scan_iter(pattern) if slug.encode() in k]
    sent, _ = answer(client, slug, 5, json=True)
    assert sent.status_code == 200
    keys = [k.decode() for k in server.scan_iter(pattern)]
    assert any(f"location:{slug}" in k for k in keys), keys  # the per-location counter
    assert any("127.0.0.1" in k for k in keys), keys  # the per-IP counter
    limiter.reset()
    assert not [k for k in server.scan_iter(pattern) if slug.encode() in k]


def _check_memory(app, client, slug):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(limiter.storage, MemoryStorage)
    sent, _ = answer(client, slug, 5, json=True)
    assert sent.status_code == 200
    assert any(f"location:{slug}" in key for key in limiter.storage.storage)
    assert any("127.0.0.1" in key for key in limiter.storage.storage)


# --- per IP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [False, True])
def test_fourth_post_from_one_ip_is_refused(app, client, slug, monkeypatch, script):
    limit(app, monkeypatch, per_ip="3 per minute")
    forms = []
    for rating in (5, 4, 3):
        sent, form = answer(client, slug, rating, json=script)
        assert sent.status_code == (200 if script else 303)
        forms.append(form)
    refused, form = answer(client, slug, 1, comment="fourth", json=script)
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert TOO_MANY in html and "<html" in html  # the friendly page, also for the script (it then posts the form)
    assert refused.headers["Retry-After"]
    assert ids_stored() == {uuid.UUID(f["id"]) for f in forms}
    assert uuid.UUID(form["id"]) not in ids_stored()


def test_too_many_page_in_spanish(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="1 per minute")
    answer(client, slug, 5)
    form = open_survey(client, slug, headers={"Accept-Language": "es"})
    form.update(rating="5", step="send")
    refused = client.post(f"/s/{slug}", data=form, headers={"Accept-Language": "es"})
    assert refused.status_code == 429
    assert "Demasiadas respuestas desde esta conexión" in refused.get_data(as_text=True)


def test_the_details_page_post_counts_too(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="2 per minute")
    form = open_survey(client, slug)
    form["rating"] = "2"
    assert post(client, slug, form).status_code == 200  # the details page
    form["step"] = "send"
    assert post(client, slug, form).status_code == 303
    form["step"] = "skip"
    assert post(client, slug, form).status_code == 429
    assert len(stored()) == 1


def test_other_ips_are_not_limited_by_one(app, new_client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="2 per minute")
    busy, calm = new_client(), new_client()
    for _ in range(2):
        assert answer(busy, slug, 5, environ_base=ip("203.0.113.7"))[0].status_code == 303
    assert answer(busy, slug, 5, environ_base=ip("203.0.113.7"))[0].status_code == 429
    assert answer(calm, slug, 5, environ_base=ip("203.0.113.8"))[0].status_code == 303
    assert len(stored()) == 3


def test_forwarded_for_header_does_not_change_the_ip(app, client, slug, monkeypatch):
    # No trusted proxy (TRUSTED_PROXIES=0): a client cannot pick its own address.
    assert app.config["TRUSTED_PROXIES"] == 0
    limit(app, monkeypatch, per_ip="2 per minute")
    statuses = []
    for n in range(3):
        form = open_survey(client, slug)
        form.update(rating="4", step="send")
        sent = client.post(f"/s/{slug}", data=form, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        statuses.append(sent.status_code)
    assert statuses == [303, 303, 429]


def test_viewing_the_survey_is_not_limited(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="1 per minute", per_location="1 per minute")
    for _ in range(5):
        assert client.get(f"/s/{slug}").status_code == 200
    assert answer(client, slug, 5)[0].status_code == 303


def test_every_limit_of_the_setting_applies(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="100 per minute; 2 per hour")
    assert [answer(client, slug, 5)[0].status_code for _ in range(3)] == [303, 303, 429]


def test_limits_are_read_for_each_request(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="1 per minute")
    assert answer(client, slug, 5)[0].status_code == 303
    assert answer(client, slug, 4)[0].status_code == 429
    limit(app, monkeypatch, per_ip="5 per minute")
    assert answer(client, slug, 3)[0].status_code == 303
    assert len(stored()) == 2


# --- per location ----------------------------------------------------------------------------------


def test_per_location_limit_across_ips(app, new_client, build, session, office, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="100 per minute", per_location="3 per minute")
    phones = {f"192.0.2.{n}": new_client() for n in range(1, 6)}
    statuses = [
        answer(phone, slug, 5, json=True, environ_base=ip(addr))[0].status_code for addr, phone in phones.items()
    ]
    assert statuses == [200, 200, 200, 429, 429]
    refused, _ = answer(phones["192.0.2.1"], slug, 5, environ_base=ip("192.0.2.1"))
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)

    other = build.location(office=office)
    other_slug = slug_for(session, other)
    for addr in ("192.0.2.4", "192.0.2.1"):  # the same phones, another counter
        assert answer(phones[addr], other_slug, 4, environ_base=ip(addr))[0].status_code == 303

    rows = stored()
    assert sorted(row["location_id"] for row in rows) == sorted([slug_location_id(session, slug)] * 3 + [other.id] * 2)


def slug_location_id(session, slug):
    return survey_links.resolve(session, slug).location.id


def test_reset_empties_the_counters(app, client, slug, monkeypatch):
    limit(app, monkeypatch, per_ip="1 per minute")
    assert answer(client, slug, 5)[0].status_code == 303
    assert answer(client, slug, 5)[0].status_code == 429
    limiter.reset()
    assert answer(client, slug, 5)[0].status_code == 303
