"""The office manager's morning (issue 16): destructive actions ask first (item 6), the location
filter as checkboxes (item 8), styled error pages with navigation (item 9) and the error summary
that takes the focus (item 10), checked on the server's answers; tests/browser/test_morning.py
drives the same pages in Chromium."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Office, Response
from feedback.services import survey_links
from tests.admin.conftest import csrf_token, current_slug, fresh, post
from tests.helpers.responses import put

MANAGER, ADMIN = "boss@example.gov", "root@example.gov"
ES = {"Accept-Language": "es-MX,es;q=0.9"}


@pytest.fixture
def world(session, build, make_user):
    alpha = build.office("Alpha Passport Office", "America/Chicago")
    hidden = build.office("Hidden Office", "America/New_York")
    a1 = build.location("AAA-1", office=alpha)
    a2 = build.location("AAA-2", office=alpha)
    build.location("HID-1", office=hidden)
    with write_transaction(session):
        survey_links.current_link(session, a1)
        session.get(Office, alpha.id).scoreboard_public = True
        alpha_id = alpha.id
    make_user(ADMIN, "admin")
    manager = make_user(MANAGER, "manager", locations=[a1, a2])
    put(session, a1, [1, 2], date(2026, 11, 20), comment="The line was slow")
    return {"a1": a1, "a2": a2, "alpha_id": alpha_id, "manager": manager}


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as(MANAGER)


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- item 6: destructive actions ask first ----------------------------------------------------------


def test_new_link_asks_first_and_names_the_address_that_stops(manager, session, world):
    slug = current_slug(session, world["a1"])
    asked = post(manager, "/admin/locations/AAA-1/rotate-link")
    assert asked.status_code == 200
    body = text(asked)
    assert f"http://127.0.0.1:8000/s/{slug}" in body and "(410)" in body
    assert 'name="confirm" value="1"' in body and 'action="/admin/locations/AAA-1/rotate-link"' in body
    assert current_slug(session, world["a1"]) == slug  # nothing changed yet
    done = post(manager, "/admin/locations/AAA-1/rotate-link", {"confirm": "1", "back": "/admin/locations"})
    assert done.status_code == 302 and done.location == "/admin/locations"
    assert current_slug(session, world["a1"]) != slug
    assert post(manager, "/admin/locations/HID-1/rotate-link").status_code == 404  # not theirs: no page either


def test_new_link_is_a_button_apart_from_the_downloads(manager):
    for path in ("/admin/", "/admin/locations"):
        body = text(manager.get(path))
        downloads = re.search(r'<span class="downloads">(.*?)</span>', body, re.S).group(1)
        assert "QR PNG" in downloads and "New link" not in downloads
        form = re.search(r'<form[^>]*action="/admin/locations/AAA-1/rotate-link"[^>]*>.*?</form>', body, re.S).group(0)
        assert 'data-confirm-title="Retire the survey link of AAA-1?"' in form
        assert 'class="button danger-outline"' in form and "New link…" in form


def _act(client, data):
    token = csrf_token(client, "/admin/comments")
    return client.post("/admin/comments", data={"csrf_token": token, **data})


def _spam_count(session) -> int:
    fresh(session)
    return len(session.scalars(select(Response.id).where(Response.comment_state == "spam")).all())


def test_marking_spam_in_bulk_asks_first(manager, session, world):
    fresh(session)
    ids = [str(i) for i in session.scalars(select(Response.id).where(Response.comment.is_not(None)))]
    asked = _act(manager, {"action": "mark_spam", "ids": ids, "bulk": "1"})
    assert asked.status_code == 200
    body = text(asked)
    assert "2 comments move to the Spam tab." in body and "stop counting in every score" in body
    assert all(f'name="ids" value="{i}"' in body for i in ids)
    assert _spam_count(session) == 0
    done = _act(manager, {"action": "mark_spam", "ids": ids, "bulk": "1", "confirm": "1"})
    assert done.status_code == 302 and _spam_count(session) == 2
    # other bulk actions and a single row's button do not ask
    assert _act(manager, {"action": "unmark_spam", "ids": ids[:1], "bulk": "1"}).status_code == 302
    assert _act(manager, {"action": "mark_spam", "ids": ids[:1]}).status_code == 302
    page = text(manager.get("/admin/comments"))
    assert 'data-confirm-when-action="mark_spam"' in page


def test_spanish_confirmation_page(manager, world):
    token = csrf_token(manager, "/admin/")
    asked = manager.post("/admin/locations/AAA-1/rotate-link", data={"csrf_token": token}, headers=ES)
    assert "Qué dejará de funcionar" in text(asked) and "Cancelar" in text(asked)


# --- item 8: the location filter --------------------------------------------------------------------


def test_the_location_filter_is_checkboxes_with_a_search(manager):
    body = text(manager.get("/admin/", query_string={"location": ["AAA-2"]}))
    assert "<select" not in re.search(r'<fieldset class="filter location-filter".*?</fieldset>', body, re.S).group(0)
    boxes = re.findall(r'<input type="checkbox" id="f-loc-\d+" name="location" value="([^"]+)"( checked)?>', body)
    assert boxes == [("AAA-1", ""), ("AAA-2", " checked")]
    assert 'id="f-location-search" type="search"' in body and 'class="location-search" hidden' in body
    for path in ("/admin/compare",):
        assert 'name="location" value="AAA-1"' in text(manager.get(path)), path


# --- item 9: error pages ----------------------------------------------------------------------------


def test_admin_404_and_403_have_the_menu_and_ways_on(manager, client):
    missing = manager.get("/admin/no-such-page")
    assert missing.status_code == 404
    body = text(missing)
    assert 'class="error-page"' in body and "Nothing is at /admin/no-such-page." in body
    assert 'aria-label="Admin"' in body and 'href="/admin/comments"' in body and "Where to go from here" in body
    refused = manager.get("/admin/users")
    assert refused.status_code == 403
    assert "This page is for administrators" in text(refused) and "Where to go from here" in text(refused)
    signed_out = client.get("/admin/no-such-page")
    assert signed_out.status_code == 404 and 'href="/admin/login"' in text(signed_out)


def test_an_unknown_scoreboard_is_styled_and_links_the_published_ones(client, world):
    for slug in ("no-such-office", "hidden-office"):
        response = client.get(f"/scores/{slug}")
        assert response.status_code == 404
        body = text(response)
        assert "scoreboard/scoreboard.css" in body and "There is no scoreboard at this address" in body
        assert '<a href="/scores/alpha-passport-office?lang=en">Alpha Passport Office</a>' in body
        assert "Hidden Office" not in body  # not published: never named
    spanish = text(client.get(f"/scores/x-{uuid.uuid4().hex[:6]}", headers=ES))
    assert '<html lang="es" dir="ltr">' in spanish and "No hay ningún tablero en esta dirección" in spanish


# --- item 10: the error summary ---------------------------------------------------------------------


def test_a_refused_form_has_an_error_summary_that_takes_the_focus(manager):
    token = csrf_token(manager, "/admin/password")
    refused = manager.post(
        "/admin/password",
        data={"csrf_token": token, "current_password": "wrong", "new_password": "short", "confirm": "other"},
    )
    assert refused.status_code == 422
    body = text(refused)
    summary = re.search(r'<div class="form-errors" role="alert" tabindex="-1" data-error-summary>.*?</div>', body, re.S)
    assert summary and 'href="#new_password"' in summary.group(0)
    assert "admin/forms.js" in body
