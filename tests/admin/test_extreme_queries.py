"""Extreme dates and numbers in the admin site's query strings: a 400, never a 500 (nor a 200 that
breaks off mid-download). Every route that takes a date range or a page cursor is probed."""

from __future__ import annotations

import pytest

from tests.admin.conftest import csrf_token, sign_in

ADMIN = "admin@example.gov"

RANGES = [
    "from=9999-12-01&to=9999-12-31",
    "from=9999-12-31",
    "to=9999-12-31",
    "from=0001-01-01&to=0001-01-31",
    "from=0001-01-01&group=week",
    "to=0001-01-01",
    "from=0001-01-01&to=0001-01-01&group=month",
]
DATED_PAGES = [
    "/admin/",
    "/admin/compare",
    "/admin/locations/XQ-1",
    "/admin/comments",
    "/admin/export/responses.csv",
    "/admin/export/aggregates.csv",
    "/admin/export/summary.json",
]


@pytest.fixture
def admin(build, make_user, new_client):
    build.location(code="XQ-1")
    make_user(ADMIN, "admin")
    client = new_client()
    assert sign_in(client, ADMIN).status_code == 302
    return client


@pytest.mark.parametrize("path", DATED_PAGES)
@pytest.mark.parametrize("query", RANGES)
def test_dates_at_the_ends_of_the_calendar_answer_400(admin, path, query):
    resp = admin.get(f"{path}?{query}")
    body = resp.get_data(as_text=True)  # reads a streamed download to its end
    assert resp.status_code == 400, (resp.status_code, body[:300])
    assert "Must be between 1900-01-01 and 2999-12-31" in body


@pytest.mark.parametrize("path", DATED_PAGES)
def test_dates_inside_the_calendar_still_answer(admin, path):
    resp = admin.get(f"{path}?from=2999-12-01&to=2999-12-31&group=week")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    resp = admin.get(f"{path}?from=1900-01-01&to=1900-01-07&group=month")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/alerts"])
@pytest.mark.parametrize("before", ["99999999999999999999", "2147483648", "-1", "0", "1e3", "x"])
def test_page_cursors_beyond_a_row_id_answer_400(admin, path, before):
    resp = admin.get(path, query_string={"before": before})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/alerts"])
def test_a_valid_page_cursor_still_answers(admin, path):
    assert admin.get(path, query_string={"before": "2147483647"}).status_code == 200


@pytest.mark.parametrize("after", ["99999999999999999999_" + "0" * 32, "253402300799999999_" + "0" * 32, "x"])
def test_a_comment_cursor_beyond_the_calendar_answers_400(admin, after):
    resp = admin.get("/admin/comments", query_string={"after": after})
    assert resp.status_code == 400


ID_PAGES = ["/admin/offices/{}/edit", "/admin/surveys/{}", "/admin/users/{}/edit", "/admin/alerts/{}"]
ID_ACTIONS = [
    "/admin/users/{}/deactivate",
    "/admin/tokens/{}/revoke",
    "/admin/kiosks/{}/link",
    "/admin/kiosks/{}/revoke",
    "/admin/alerts/{}/acknowledge",
    "/admin/surveys/{}/assign",
]
HUGE_IDS = ["99999999999999999999", "2147483648"]


@pytest.mark.parametrize("path", ID_PAGES)
@pytest.mark.parametrize("ident", HUGE_IDS)
def test_ids_in_paths_beyond_a_row_id_answer_404(admin, path, ident):
    assert admin.get(path.format(ident)).status_code == 404


@pytest.mark.parametrize("path", ID_ACTIONS)
@pytest.mark.parametrize("ident", HUGE_IDS)
def test_actions_on_ids_beyond_a_row_id_answer_404(admin, path, ident):
    token = csrf_token(admin, "/admin/password")
    assert admin.post(path.format(ident), data={"csrf_token": token}).status_code == 404
