"""Walks over the whole URL map, so routes added later are covered automatically.

1. Scope: a manager of office A asks every admin and API route with the ids of
   office B's objects and gets 404 (or 403 for admin-only pages); pages without
   ids never show office B's data.
2. CSRF: every admin form (every POST route) posted without its token gets 400.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from feedback.database import write_transaction
from feedback.models import ApiToken
from feedback.services import enrollment, kiosks, survey_links
from tests.admin.conftest import csrf_token, sign_in
from tests.helpers.walks import B_CODE, B_OFFICE, object_arguments, route_url, routes_under, two_offices

PUBLIC_POSTS = {"/admin/login"}


@pytest.fixture
def world(session, build, make_user):
    return two_offices(session, build, make_user)


def test_manager_of_office_a_gets_404_for_everything_of_office_b(app, client, world, session):
    assert sign_in(client, "manager.a@example.gov").status_code == 302
    token = csrf_token(client, "/admin/password")
    checked = 0
    for rule in routes_under(app, ("/admin",)):
        if not object_arguments(rule):
            continue
        url = route_url(rule, world["b"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 5  # posters, QR downloads, rotate-link ... and whatever was added since


def test_pages_without_ids_never_show_office_b(app, client, world):
    assert sign_in(client, "manager.a@example.gov").status_code == 302
    for rule in routes_under(app, ("/admin",)):
        if object_arguments(rule) or "GET" not in rule.methods or rule.rule in ("/admin/login",):
            continue
        url = route_url(rule, world["b"])  # only free parameters (a quarter) to fill in
        response = client.get(url)
        assert response.status_code in (200, 302, 403), f"GET {url} answered {response.status_code}"
        body = _text(response)
        assert B_CODE not in body and B_OFFICE not in body, f"GET {url} shows office B"
        # ... and asking for office B through the filters is refused like an unknown id.
        if response.status_code == 200:
            for query in ({"location": B_CODE}, {"office": world["b"]["office"].slug}):
                filtered = client.get(url, query_string=query)
                assert B_CODE not in _text(filtered), f"GET {url}?{query} shows office B"


def _text(response) -> str:
    """A response's text; a zip download's is the text of every file in it."""
    if response.mimetype == "application/zip" and response.status_code == 200:
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return response.get_data(as_text=True)


def test_api_routes_refuse_office_b(app, client, world):
    headers = {"Authorization": f"Bearer {world['manager_api']}"}
    for rule in routes_under(app, ("/api/v1",)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = route_url(rule, world["b"])
            query = {"location": B_CODE, "from": "2026-01-01", "to": "2026-01-31"}
            response = client.open(
                url, method=method, headers=headers, query_string=query, json={} if method == "POST" else None
            )
            if rule.rule == "/api/v1/openapi.json":
                assert response.status_code == 200  # the public API description
            elif rule.endpoint.startswith("device_api."):
                assert response.status_code == 401  # a person's token is not a kiosk's
            else:
                assert response.status_code == 404, f"{method} {url} answered {response.status_code}"


def test_every_admin_form_without_csrf_token_is_refused(app, client, world, session):
    assert sign_in(client, "admin@example.gov").status_code == 302
    before = session.scalar(ApiToken.__table__.select().with_only_columns(ApiToken.id).order_by(ApiToken.id.desc()))
    posted = 0
    for rule in routes_under(app, ("/admin",)):
        if "POST" not in rule.methods or rule.rule in PUBLIC_POSTS:
            continue
        response = client.post(route_url(rule, world["a"]), data={"name": "x", "code": "ZZZ-1"})
        assert response.status_code == 400, f"POST {rule.rule} without CSRF answered {response.status_code}"
        posted += 1
    assert posted >= 2
    # Public forms too: sign-in, kiosk enrolment, the phone survey.
    anonymous = app.test_client()
    assert anonymous.post("/admin/login", data={"email": "admin@example.gov", "password": "x"}).status_code == 400
    with write_transaction(session):
        _record, code = enrollment.create_code(
            session, world["a"]["device"], ttl=timedelta(hours=24), now=datetime.now(UTC)
        )
    assert anonymous.post(f"/kiosk/enroll/{code}").status_code == 400
    slug = survey_links.current_link(session, world["a"]["location"]).slug
    assert anonymous.post(f"/s/{slug}", data={"rating": "5"}).status_code == 400
    after = session.scalar(ApiToken.__table__.select().with_only_columns(ApiToken.id).order_by(ApiToken.id.desc()))
    assert before == after
    assert kiosks.authenticate(session, None) is None
