"""Walks over the whole URL map, so routes added later are covered automatically.

1. Scope: a manager of office A asks every admin and API route with the ids of
   office B's objects and gets 404 (or 403 for admin-only pages); pages without
   ids never show office B's data.
2. CSRF: every admin form (every POST route) posted without its token gets 400.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.routing import Rule

from feedback.database import write_transaction
from feedback.models import ApiToken
from feedback.services import enrollment, kiosks, survey_links
from tests.admin.conftest import csrf_token, sign_in
from tests.builders import add_api_token

B_CODE = "BBB-9"
B_OFFICE = "Bravo Licence Centre"
PUBLIC_POSTS = {"/admin/login"}
# Route parameters that name no object of an office (a fiscal quarter): a route with only these
# is walked like a page without ids, with the value given here.
FREE_PARAMETERS = {"quarter": "FY2027Q1"}


def object_arguments(rule: Rule) -> set[str]:
    """The parameters of a route that name an office's object (an id, a code, a slug)."""
    return set(rule.arguments) - set(FREE_PARAMETERS)


@pytest.fixture
def world(session, build, make_user):
    office_a = build.office(name="Alpha Passport Agency", tz="America/Chicago")
    office_b = build.office(name=B_OFFICE, tz="America/New_York")
    loc_a = build.location(code="AAA-1", office=office_a)
    loc_b = build.location(code=B_CODE, office=office_b)
    device_a, _ = build.device(location=loc_a)
    device_b, _ = build.device(location=loc_b)
    manager = make_user("manager.a@example.gov", "manager")
    other = make_user("manager.b@example.gov", "manager")
    admin = make_user("admin@example.gov", "admin")
    with write_transaction(session):
        session.get(type(manager), manager.id).offices = [office_a]
        session.get(type(other), other.id).offices = [office_b]
        survey_links.current_link(session, loc_a)
        survey_links.current_link(session, loc_b)
        token_b, _ = add_api_token(session, other, "b's token")
        _token_a, manager_api = add_api_token(session, manager, "a's token")
        enrollment.create_code(session, device_b, ttl=timedelta(hours=24), now=datetime.now(UTC))
    return {
        "a": {"office": office_a, "location": loc_a, "device": device_a, "user": manager, "token_id": None},
        "b": {
            "office": office_b,
            "location": loc_b,
            "device": device_b,
            "user": other,
            "token_id": token_b.id,
            "survey": loc_b.survey_id,
        },
        "admin": admin,
        "manager_api": manager_api,
    }


def _value(rule: Rule, name: str, objects: dict):
    """The id or code of one of ``objects`` that a route parameter names."""
    path = rule.rule.lower()
    if name in FREE_PARAMETERS:
        return FREE_PARAMETERS[name]
    if name in ("code", "location_code"):
        return objects["location"].code
    if name in ("slug", "office_slug"):
        return objects["office"].slug
    if name in ("office_id",) or (name == "id" and "/offices/" in path):
        return objects["office"].id
    if name in ("location_id",) or (name == "id" and "/locations/" in path):
        return objects["location"].id
    if name in ("device_id", "kiosk_id") or (name == "id" and ("/kiosks/" in path or "/devices/" in path)):
        return objects["device"].id
    if name in ("user_id",) or (name == "id" and "/users/" in path):
        return objects["user"].id
    if name in ("token_id",) or (name == "id" and "/tokens/" in path):
        return objects.get("token_id") or 0
    if name in ("survey_id",) or (name == "id" and "/surveys/" in path):
        return objects.get("survey") or objects["location"].survey_id
    if name == "name" and "/reporting/" in path:  # an A-11 upload file (of a detail of the selection)
        return "a11-FY2027Q1-responses-any.csv"
    if name == "alert_id":  # office B's real alerts are walked in tests/alerts/test_admin.py
        return objects.get("alert_id") or 0
    raise AssertionError(f"test_walks does not know parameter {name!r} of {rule.rule}: teach _value() about it")


def _url(rule: Rule, objects: dict) -> str:
    values = {name: _value(rule, name, objects) for name in rule.arguments}
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)
    return url


def _routes(app, prefixes=("/admin", "/api/v1")):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefixes):
            yield rule


def test_manager_of_office_a_gets_404_for_everything_of_office_b(app, client, world, session):
    assert sign_in(client, "manager.a@example.gov").status_code == 302
    token = csrf_token(client, "/admin/password")
    checked = 0
    for rule in _routes(app, ("/admin",)):
        if not object_arguments(rule):
            continue
        url = _url(rule, world["b"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 5  # posters, QR downloads, rotate-link ... and whatever was added since


def test_pages_without_ids_never_show_office_b(app, client, world):
    assert sign_in(client, "manager.a@example.gov").status_code == 302
    for rule in _routes(app, ("/admin",)):
        if object_arguments(rule) or "GET" not in rule.methods or rule.rule in ("/admin/login",):
            continue
        url = _url(rule, world["b"])  # only free parameters (a quarter) to fill in
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
    for rule in _routes(app, ("/api/v1",)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(rule, world["b"])
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
    for rule in _routes(app, ("/admin",)):
        if "POST" not in rule.methods or rule.rule in PUBLIC_POSTS:
            continue
        response = client.post(_url(rule, world["a"]), data={"name": "x", "code": "ZZZ-1"})
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
