"""Text no database can store is refused at the door, for every kind of route: a NUL character in
the path, the query string, a form or a JSON body, and an unpaired surrogate in a JSON body.

PostgreSQL refuses NUL in text and neither driver encodes a lone surrogate, so such input used to
reach the database and answer 500 (on public pages too). Now: 400, problem+json under /api/, a
plain 400 page elsewhere, and nothing stored.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import ApiToken, Device, Location, Response
from tests.admin.conftest import csrf_token, fresh
from tests.builders import assert_problem, auth, response_body

ADMIN = "admin@example.gov"


@pytest.fixture
def world(build, make_user, session):
    location = build.location(code="NUL-1")
    device, token = build.device(location=location)
    make_user(ADMIN, "admin")
    return {"location": location, "device": device, "token": token}


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


def assert_page_400(resp):
    assert resp.status_code == 400, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "text/html"


PUBLIC_PATHS = ["/s/a%00b", "/s/a%00b/thanks", "/scores/a%00b", "/kiosk/enroll/a%00b", "/?lang=e%00n", "/healthz?x=%00"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_refuse_nul(client, world, path):
    assert_page_400(client.get(path))


def test_sign_in_refuses_nul_in_the_address(client, world):
    token = csrf_token(client)
    resp = client.post("/admin/login", data={"email": "admin\x00@example.gov", "password": "x", "csrf_token": token})
    assert_page_400(resp)


def test_a_phone_answer_with_nul_is_refused(client, world):
    resp = client.post("/s/whatever", data={"rating": "5\x00", "comment": "hi"})
    assert_page_400(resp)
    # Except in the comment, free text the survey cleans itself (control characters become spaces):
    # a pasted NUL must not cost the visitor's answer (test_comment_with_control_characters_is_stored).


SIGNED_IN_GETS = [
    "/admin/comments?q=a%00b",
    "/admin/comments?office=a%00b",
    "/admin/?office=a%00b",
    "/admin/?location=A%00B",
    "/admin/locations/NUL%00-1",
    "/admin/locations/NUL-1?q=x%00",
    "/admin/export/responses.csv?office=%00",
    "/admin/standards?quarter=FY2026Q1%00",
    "/admin/a%00b%00=c",
]


@pytest.mark.parametrize("path", SIGNED_IN_GETS)
def test_signed_in_pages_refuse_nul(admin, path):
    assert_page_400(admin.get(path))


def test_signed_in_forms_refuse_nul(admin, world, session):
    token = csrf_token(admin, "/admin/password")
    assert_page_400(admin.post("/admin/tokens", data={"name": "script\x00", "csrf_token": token}))
    resp = admin.post("/admin/locations/NUL-1/edit", data={"name": "Counter\x00 1", "active": "y", "csrf_token": token})
    assert_page_400(resp)
    resp = admin.post("/admin/locations/new", data={"code": "N\x00L-2", "name": "x", "csrf_token": token})
    assert_page_400(resp)
    fresh(session)
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert session.scalar(select(Location.name).where(Location.code == "NUL-1")) == "Counter"


def test_a_multipart_file_name_with_nul_is_refused(admin):
    token = csrf_token(admin, "/admin/password")
    resp = admin.post(
        "/admin/reporting/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "volumes\x00.csv")},
        content_type="multipart/form-data",
    )
    assert_page_400(resp)


# --- JSON bodies ---------------------------------------------------------------------------------

HEARTBEAT = "/api/v1/devices/heartbeat"


@pytest.mark.parametrize(
    "raw",
    [
        '{"app_version": "\\udc00", "queue_length": 0}',  # a lone low surrogate
        '{"app_version": "\\ud800", "queue_length": 0}',  # a lone high surrogate
        '{"app_version": "a\\ud800b", "queue_length": 0}',
        '{"app_version": "\\ud800\\u0041", "queue_length": 0}',  # high, then no low
        '{"app_version": "\\udc00\\ud800", "queue_length": 0}',  # the pair the wrong way round
        '{"app_version": "1", "queue_length": 0, "last_error": "boom\\u0000"}',
        '{"app_version": "1\\u0000", "queue_length": 0}',
        '{"app_version": "1", "queue_length": 0, "last_error": "x", "\\u0000": 1}',
        '{"app_version": "1", "queue_length": 0, "last_error": "\\\\\\u0000"}',  # an escaped backslash, then NUL
    ],
)
def test_the_heartbeat_refuses_text_no_database_stores(client, world, session, raw):
    resp = client.post(HEARTBEAT, data=raw, content_type="application/json", headers=auth(world["token"]))
    body = assert_problem(resp, 400, "body")
    assert "body" in body["errors"]
    fresh(session)
    assert session.get(Device, world["device"].id).last_seen_at is None


@pytest.mark.parametrize(
    "raw",
    [
        '{"app_version": "\\ud83d\\ude00", "queue_length": 0}',  # a proper pair: an emoji
        '{"app_version": "1", "queue_length": 0, "last_error": "C:\\\\u0000dir"}',  # text "\\u0000", no NUL
        '{"app_version": "\\u00e9\\u0041", "queue_length": 0, "last_error": "\\\\ud800"}',
    ],
)
def test_the_heartbeat_keeps_what_only_looks_alike(client, world, session, raw):
    resp = client.post(HEARTBEAT, data=raw, content_type="application/json", headers=auth(world["token"]))
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_a_batch_with_nul_stores_nothing(client, world):
    items = [response_body(), response_body(language="e\u0000n")]
    resp = client.post("/api/v1/responses/batch", json={"responses": items}, headers=auth(world["token"]))
    assert_problem(resp, 400, "body")
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Response)) == 0


def test_api_paths_and_queries_answer_problem_json(client, world):
    assert_problem(client.get("/api/v1/summary?from=2026-01-01%00"), 400)
    assert_problem(client.get("/api/v1/resp%00onses"), 400)
    assert_problem(client.post("/api/v1/responses?x=%00", json=response_body(), headers=auth(world["token"])), 400)
