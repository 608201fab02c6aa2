"""Errors in one place (issue 13 item 6): problem+json under /api/, the admin site's own page
(translated, with its menu when signed in) and the visitors' bilingual page elsewhere, for 400,
403, 404, 410, 429, 500 and 503; the phone survey keeps its own wording for 400 and 429
(tests/phone).

Most statuses have no route that gives them on every kind of path, so a separate app of the
same factory gets probe routes (``abort(status)``, or an unexpected exception for 500) under
/api/, /admin/ and the visitors' paths; the real routes are checked where they exist.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from feedback.openapi import build_spec
from tests.admin.conftest import sign_in
from tests.dbfaults import isolated_app

STATUSES = (400, 403, 404, 410, 429, 500, 503)
SPANISH = {
    400: "No se pudo entender la solicitud",
    403: "No tiene acceso a esta página",
    404: "Página no encontrada",
    410: "Esta página ya no está disponible",
    429: "Demasiadas solicitudes",
    500: "Algo salió mal",
    503: "Este servicio no está disponible en este momento",
}
ENGLISH = {
    400: "The request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    410: "This page is no longer available",
    429: "Too many requests",
    500: "Something went wrong",
    503: "This service is not available right now",
}
ES = {"Accept-Language": "es-MX,es;q=0.9"}
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


class ProbeClient(FlaskClient):
    """Each request in an app context of its own; no contract check (the probes are not in the API)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def probe_app(app, database_url, tmp_path):
    with isolated_app(app, database_url, tmp_path / "probe") as probe:

        def fail(status: int):
            if status == 500:
                raise RuntimeError("a bug: this must not be shown")
            abort(status)

        for prefix in ("/api/probe", "/admin/probe", "/probe"):
            probe.add_url_rule(f"{prefix}/<int:status>", f"probe{prefix.replace('/', '_')}", fail)
        probe.test_client_class = ProbeClient
        yield probe


def _problem_fields(app: Flask) -> tuple[set[str], set[str]]:
    schema = build_spec(app)["components"]["schemas"]["Problem"]
    return set(schema.get("required", [])), set(schema["properties"])


@pytest.mark.parametrize("status", STATUSES)
def test_api_paths_answer_problem_json(probe_app, status):
    response = probe_app.test_client().get(f"/api/probe/{status}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    required, known = _problem_fields(probe_app)
    assert required <= set(body) <= known  # the documented Problem shape, nothing else
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["errors"] == {}
    if status == 500:
        assert "must not be shown" not in response.get_data(as_text=True)


@pytest.mark.parametrize("status", STATUSES)
def test_admin_paths_answer_the_admin_page_in_the_browsers_language(probe_app, status):
    client = probe_app.test_client()
    english = client.get(f"/admin/probe/{status}")
    assert english.status_code == status and english.mimetype == "text/html"
    html = english.get_data(as_text=True)
    assert '<html lang="en">' in html and H1.search(html).group(1) == ENGLISH[status]
    assert 'class="bar"' in html  # the admin site's header, styled by admin.css
    assert "must not be shown" not in html

    spanish = client.get(f"/admin/probe/{status}", headers=ES)
    html = spanish.get_data(as_text=True)
    assert spanish.status_code == status
    assert '<html lang="es">' in html and H1.search(html).group(1) == SPANISH[status]
    assert ENGLISH[status] not in html


@pytest.mark.parametrize("status", STATUSES)
def test_visitor_paths_answer_the_bilingual_page(probe_app, status):
    client = probe_app.test_client()
    response = client.get(f"/probe/{status}", headers=ES)
    assert response.status_code == status and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html and "phone/phone.css" in html  # the visitors' style
    assert html.index(SPANISH[status]) < html.index(ENGLISH[status])  # theirs first, then English
    assert '<section lang="en" dir="ltr">' in html
    assert "Accept-Language" in response.headers["Vary"]
    assert "must not be shown" not in html


def test_admin_error_page_has_the_menu_when_signed_in(probe_app, make_user):
    make_user("boss@example.gov", "admin")
    client = probe_app.test_client()
    assert 'action="/admin/logout"' not in client.get("/admin/probe/404").get_data(as_text=True)
    assert sign_in(client, "boss@example.gov").status_code == 302
    for status in (403, 404, 500):
        html = client.get(f"/admin/probe/{status}", headers=ES).get_data(as_text=True)
        assert 'action="/admin/logout"' in html and "boss@example.gov" in html, status  # the menu


def test_admin_csrf_failure_is_the_expired_page_not_bare_text(client):
    """Before: a form posted without its token answered werkzeug's bare text."""
    response = client.post("/admin/login", data={"email": "a@example.gov", "password": "x" * 12}, headers=ES)
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html and H1.search(html).group(1) == "Esta página ha caducado"


def test_real_not_found_on_each_kind_of_path(client):
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["status"] == 404
    admin = client.get("/admin/no-such-page", headers=ES)
    assert admin.status_code == 404 and H1.search(admin.get_data(as_text=True)).group(1) == SPANISH[404]
    visitor = client.get("/no-such-page")
    assert visitor.status_code == 404 and ENGLISH[404] in visitor.get_data(as_text=True)
