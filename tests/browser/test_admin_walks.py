"""The scope and CSRF walks again, from a real browser session (cookies, sign-in form, Playwright).

The same route enumeration as tests/admin/test_walks.py: every /admin route of the URL map,
so routes added later are walked too.
"""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD
from tests.helpers.walks import B_CODE, B_OFFICE, object_arguments, route_url, routes_under, two_offices


@pytest.fixture
def world(session, build, make_user):
    return two_offices(session, build, make_user)


def signed_in(browser, live, email):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name='email']", email)
    page.fill("input[name='password']", PASSWORD)
    page.click("button[type='submit']")
    page.wait_for_url(f"{live.url}/admin/")
    page.goto(f"{live.url}/admin/password")
    token = page.get_attribute("input[name='csrf_token']", "value")
    return context, page, token


def test_manager_walk_in_the_browser(app, browser, live, world):
    context, page, token = signed_in(browser, live, "manager.a@example.gov")
    try:
        walked = 0
        for rule in routes_under(app, ("/admin",)):
            url = live.url + route_url(rule, world["b"])
            if object_arguments(rule):
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = page.request.fetch(
                        url, method=method, form={"csrf_token": token}, max_redirects=0, fail_on_status_code=False
                    )
                    assert response.status in (403, 404), f"{method} {url}: {response.status}"
                    walked += 1
            elif "GET" in rule.methods and rule.rule != "/admin/login":
                response = page.request.get(url, max_redirects=0, fail_on_status_code=False)
                assert response.status in (200, 302, 403), f"GET {url}: {response.status}"
                body = response.text()
                assert B_CODE not in body and B_OFFICE not in body, f"GET {url} shows office B"
                walked += 1
        assert walked >= 10
    finally:
        context.close()


def test_csrf_walk_in_the_browser(app, browser, live, world):
    context, page, _token = signed_in(browser, live, "admin@example.gov")
    try:
        posted = 0
        for rule in routes_under(app, ("/admin",)):
            if "POST" not in rule.methods or rule.rule == "/admin/login":
                continue
            url = live.url + route_url(rule, world["a"])
            response = page.request.post(url, form={"name": "x"}, max_redirects=0, fail_on_status_code=False)
            assert response.status == 400, f"POST {url} without its CSRF token: {response.status}"
            posted += 1
        assert posted >= 10
    finally:
        context.close()
