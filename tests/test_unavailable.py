"""A database outage answers 503 with Retry-After, never 500 (issue 11, item 3).

The API answers problem+json; visitor pages (phone survey, scoreboard, enrolment) a short page
in the visitor's language and the other one; the admin site a plain page. The node recovers
by itself as soon as the database is back (pool pre-ping; a read-only SQLite connection is
replaced), and the outage is logged once, not once per request.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from feedback.extensions import db
from feedback.models import Response
from tests.builders import Builder, auth, response_body
from tests.dbfaults import (
    TcpProxy,
    create_tables,
    hold_write_lock,
    is_sqlite,
    isolated_app,
    through_proxy,
)

RANGE = {"from": "2026-01-05", "to": "2026-01-11"}
ENGLISH = "This service is not available right now"
SPANISH = "Este servicio no está disponible en este momento"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def assert_api_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert (body["status"], body["title"]) == (503, "Service Unavailable")
    assert "same id" in body["detail"]


def assert_page_unavailable(response, first: str, second: str | None) -> str:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert first in html
    if second is not None:
        assert second in html and html.index(first) < html.index(second)
    return html


def csrf_token(client) -> str:
    """The sign-in page needs no database; its token is the session's, good for every form."""
    page = client.get("/admin/login")
    assert page.status_code == 200
    return CSRF.search(page.get_data(as_text=True)).group(1)


def test_every_kind_of_page_answers_503_when_the_database_refuses_connections(unreachable_app):
    """Before: the API answered 500 without Retry-After, the visitor pages a bare 500 page."""
    client = unreachable_app.test_client()
    kiosk = auth("some-device-token")
    assert_api_unavailable(client.post("/api/v1/responses", json=response_body(), headers=kiosk))
    assert_api_unavailable(client.post("/api/v1/responses/batch", json={"responses": [response_body()]}, headers=kiosk))
    assert_api_unavailable(client.post("/api/v1/devices/heartbeat", json={"queue_length": 0}, headers=kiosk))
    assert_api_unavailable(client.get("/api/v1/kiosk/config", headers=kiosk))
    assert_api_unavailable(client.get("/api/v1/summary", query_string=RANGE, headers=auth("a-personal-token")))
    assert_api_unavailable(client.get("/api/v1/responses", query_string=RANGE, headers=auth("a-personal-token")))

    # Visitor pages: the visitor's language first, then the other.
    html = assert_page_unavailable(client.get("/s/abcdefghjk"), ENGLISH, SPANISH)
    assert '<html lang="en" dir="ltr">' in html and '<section lang="es" dir="ltr">' in html
    assert 'href="/s/abcdefghjk"' in html  # "Try again"
    spanish = client.get("/s/abcdefghjk", headers={"Accept-Language": "es-MX,es;q=0.9"})
    html = assert_page_unavailable(spanish, SPANISH, ENGLISH)
    assert '<html lang="es" dir="ltr">' in html and "Inténtelo de nuevo en un momento." in html
    assert_page_unavailable(client.get("/scores/some-office?lang=es"), SPANISH, ENGLISH)
    assert_page_unavailable(client.get("/kiosk/enroll/some-code"), ENGLISH, SPANISH)

    token = csrf_token(client)
    posted = client.post("/s/abcdefghjk", data={"csrf_token": token, "rating": "5", "lang": "es", "step": "send"})
    html = assert_page_unavailable(posted, SPANISH, ENGLISH)
    assert "Su respuesta todavía no se ha guardado." in html  # the answer was not stored: say so

    # The admin site: a plain page (its menu would need the signed-in user, from the database).
    signing_in = client.post("/admin/login", data={"csrf_token": token, "email": "a@example.gov", "password": "x" * 12})
    html = assert_page_unavailable(signing_in, "Temporarily unavailable", None)
    assert "Sign out" not in html

    assert client.get("/kiosk").status_code == 200  # the kiosk shell needs no database: it works offline


def test_an_outage_is_logged_once_not_for_every_request(unreachable_app, caplog):
    client = unreachable_app.test_client()
    for _ in range(5):
        assert client.get("/api/v1/summary", query_string=RANGE, headers=auth("t")).status_code == 503
    outage_lines = [r for r in caplog.records if r.name == "feedback.outages"]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert outage_lines[0].getMessage().startswith("database unavailable: OperationalError")
    assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]


@pytest.fixture
def outage(app, fresh_database_url, tmp_path):
    """A node on a database of its own and a switch for a real outage. PostgreSQL: the node talks
    to the server through a TCP proxy, which is cut (connections refused and dropped). SQLite:
    another connection holds the write lock (writers give up after the node's busy timeout)."""
    create_tables(fresh_database_url)
    if is_sqlite(fresh_database_url):
        config = {"SQLITE_BUSY_TIMEOUT_SECONDS": 0.2, "READINESS_TIMEOUT_SECONDS": 0.2}
        with isolated_app(app, fresh_database_url, tmp_path, **config) as node:
            yield node, lambda: hold_write_lock(fresh_database_url)
        return
    proxy = TcpProxy(make_url(fresh_database_url).port or 5432).start()
    try:
        with isolated_app(app, through_proxy(fresh_database_url, proxy), tmp_path) as node:
            yield node, proxy.down
    finally:
        proxy.stop()


def test_the_node_answers_503_during_an_outage_and_recovers_by_itself(outage):
    node, database_down = outage
    with node.app_context():
        _device, token = Builder(db.session).device()
        db.session.remove()
    client = node.test_client()
    first, second = response_body(rating=5), response_body(rating=2)
    assert client.post("/api/v1/responses", json=first, headers=auth(token)).status_code == 201

    with database_down():
        assert_api_unavailable(client.post("/api/v1/responses", json=second, headers=auth(token)))
        assert client.get("/readyz").status_code == 503
        assert client.get("/livez").status_code == 200

    # Back: the very next request succeeds (a dropped pooled connection is pre-pinged and replaced).
    assert client.post("/api/v1/responses", json=second, headers=auth(token)).status_code == 201
    assert client.post("/api/v1/responses", json=first, headers=auth(token)).status_code == 200  # a replay
    assert client.get("/readyz").status_code == 200
    with node.app_context():
        ids = set(db.session.scalars(select(Response.id)))
        assert db.session.scalar(select(func.count()).select_from(Response)) == 2
        db.session.remove()
    assert ids == {uuid.UUID(first["id"]), uuid.UUID(second["id"])}
