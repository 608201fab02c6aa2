"""The "try again in a moment" pages of a database outage, in Chromium: no serious axe finding,
no script error, the visitor's language first (WCAG 2.1 AA, as every visitor page)."""

from __future__ import annotations

import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from feedback.i18n import LANGUAGES
from tests.browser.conftest import DESK, PHONE, serious
from tests.dbfaults import isolated_app, unreachable_url


@pytest.fixture
def outage_server(app, database_url, tmp_path):
    with isolated_app(app, unreachable_url(database_url, tmp_path), tmp_path / "instance") as fault_app:
        server = make_server("127.0.0.1", 0, fault_app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "This service is not available right now"), ("es", "Este servicio no está disponible en este momento")],
)
def test_the_visitor_page_is_accessible_in_each_language(browser, outage_server, language, heading):
    context = browser.new_context(viewport=PHONE, locale=language, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        response = page.goto(f"{outage_server}/s/abcdefghjk")
        assert response.status == 503
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").inner_text() == heading
        assert page.get_by_role("link").count() == len(LANGUAGES)  # "Try again", in each visitor language
        assert serious(Axe().run(page)) == []
        assert errors == []
    finally:
        context.close()


def test_the_admin_page_is_accessible(browser, outage_server):
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    try:
        page.goto(f"{outage_server}/admin/login")  # needs no database
        page.fill("input[name='email']", "someone@example.gov")
        page.fill("input[name='password']", "a-long-password")
        with page.expect_response(lambda r: r.url.endswith("/admin/login") and r.request.method == "POST") as posted:
            page.click("button[type='submit']")
        assert posted.value.status == 503
        assert page.locator("h1").inner_text() == "Temporarily unavailable"
        assert serious(Axe().run(page)) == []
    finally:
        context.close()
