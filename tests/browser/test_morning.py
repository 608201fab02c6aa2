"""The office manager's morning (issue 16 items 3, 6, 8, 9, 10) in Chromium, as an admin and as a
manager, at 1440 and 390 px: the digest preview and its form, destructive actions that ask first
(a dialog with script, a page without), the location filter's checkboxes and search, the error
pages, and the focus on the error summary; axe-core finds no violations on any of them.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_morning.py` writes
admin-digest.png (and the others) there; a normal run writes them to a temporary folder.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.models import Device, Office, Response, User
from feedback.services import survey_links
from tests.admin.conftest import current_slug
from tests.browser.conftest import signed_in
from tests.builders import PASSWORD
from tests.helpers.responses import put

USERS = {"admin": "root@example.gov", "manager": "boss@example.gov"}
WIDTHS = (1440, 390)
CASES = [(role, width) for role in USERS for width in WIDTHS]


def violations(page) -> list:
    """Every axe-core violation (any impact), in a readable form."""
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in Axe().run(page).response["violations"]
    ]


@pytest.fixture
def world(session, build, make_user, live):
    office = build.office("Houston Passport Agency", "America/Chicago")
    locations = [build.location(f"HOU-C{k}", office=office) for k in range(1, 13)]  # a long filter list
    hidden = build.office("Hidden Office", "America/New_York")
    build.location("HID-1", office=hidden)
    today = datetime.now(UTC).astimezone(office.tz).date()
    for k, location in enumerate(locations[:3]):
        put(session, location, [5, 4, 2, 1][k:], today - timedelta(days=2))
    commented = today - timedelta(days=1)
    put(session, locations[0], [1], commented, comment="Waited over an hour.", hour=11)
    with write_transaction(session):
        survey_links.current_link(session, locations[0])
        session.get(Office, office.id).scoreboard_public = True
        session.get(Office, office.id).csat_target = 0.8
    make_user(USERS["admin"], "admin")
    make_user(USERS["manager"], "manager", locations=locations)
    device, _token = build.device(locations[1])
    session.rollback()
    # An hour after the comment: the next weekly digest then covers its day, whatever the weekday
    # and hour the test runs at (on a Monday after the digest hour it would cover this week alone).
    after_comment = datetime.combine(commented, time(12), office.tz).astimezone(UTC)
    return {"first": locations[0], "device_id": device.id, "after_comment": after_comment}


@pytest.fixture
def as_user(browser, live, world):
    def open_as(role: str, width: int):
        return signed_in(browser, live, USERS[role], PASSWORD, {"width": width, "height": 900})

    return open_as


@pytest.mark.parametrize(("role", "width"), CASES)
def test_digest_preview_and_subscription(as_user, live, app, monkeypatch, world, role, width, shots):
    with as_user(role, width) as page:
        monkeypatch.setitem(app.config, "CLOCK", lambda: world["after_comment"])  # the preview's time
        page.click("header a:has-text('E-mail digest')")
        page.wait_for_selector("h1:has-text('E-mail digest')")
        preview = page.locator(".digest-mail")
        assert "Scores against targets" in preview.inner_text()
        assert "HOU-C1" in preview.inner_text() and "Waited over an hour." in preview.inner_text()
        assert ("HID-1" in preview.inner_text()) == (role == "admin")  # a manager sees their scope only
        assert violations(page) == []
        if role == "manager" and width == 1440:
            page.screenshot(path=str(shots / "admin-digest.png"), full_page=True)
        page.check("#weekly")
        page.select_option("#language", "es")
        page.click("button:has-text('Save')")
        page.wait_for_selector("p.flash")
        assert page.is_checked("#weekly") and page.input_value("#language") == "es"
        assert "You are not subscribed" not in page.inner_text(".digest-preview")
        page.click(".digest-preview a:has-text('Daily')")
        page.wait_for_selector(".digest-preview strong:has-text('Daily')")
        assert "You are not subscribed to this digest." in page.inner_text(".digest-preview")
        assert violations(page) == [] and page.problems == []


@pytest.mark.parametrize(("role", "width"), CASES)
def test_new_link_asks_in_a_dialog_and_esc_cancels(as_user, live, session, world, role, width, shots):
    slug = current_slug(session, world["first"])
    with as_user(role, width) as page:
        page.goto(f"{live.url}/admin/locations")
        button = page.locator("form[action='/admin/locations/HOU-C1/rotate-link'] button")
        assert button.inner_text() == "New link…"
        button.click()
        dialog = page.locator("dialog.confirm-dialog")
        dialog.wait_for(state="visible")
        assert "stops working" in dialog.inner_text() and "(410)" in dialog.inner_text()
        assert page.evaluate("document.activeElement.textContent") == "Cancel"
        assert violations(page) == []
        if role == "manager" and width == 1440:
            page.screenshot(path=str(shots / "admin-confirm-dialog.png"))
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.textContent") == "New link…"
        assert current_slug(session, world["first"]) == slug
        button.click()
        page.click("dialog.confirm-dialog button:has-text('Retire the link and make a new one')")
        page.wait_for_selector("p.flash:has-text('a new survey link was made')")
        assert current_slug(session, world["first"]) != slug
        assert page.problems == []


@pytest.mark.parametrize(("role", "width"), CASES)
def test_without_script_a_confirmation_page_asks(browser, live, session, world, role, width):
    slug = current_slug(session, world["first"])
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name='email']", USERS[role])
    page.fill("input[name='password']", PASSWORD)
    page.click("button[type='submit']")
    page.wait_for_url(f"{live.url}/admin/")
    page.goto(f"{live.url}/admin/locations")
    page.click("form[action='/admin/locations/HOU-C1/rotate-link'] button")
    page.wait_for_selector("h1:has-text('Retire the survey link of HOU-C1?')")
    assert f"/s/{slug}" in page.inner_text(".confirm-box")
    assert current_slug(session, world["first"]) == slug
    context.close()
    # axe needs script: the same page, read with it on
    with signed_in(browser, live, USERS[role], PASSWORD, {"width": width, "height": 900}) as scripted:
        scripted.goto(f"{live.url}/admin/locations")
        scripted.evaluate(
            "document.querySelector(\"form[action='/admin/locations/HOU-C1/rotate-link']\").removeAttribute('data-confirm-title')"
        )
        scripted.click("form[action='/admin/locations/HOU-C1/rotate-link'] button")
        scripted.wait_for_selector(".confirm-box")
        assert violations(scripted) == []
        scripted.click("button:has-text('Retire the link and make a new one')")
        scripted.wait_for_selector("p.flash")
    assert current_slug(session, world["first"]) != slug


@pytest.mark.parametrize(("role", "width"), CASES)
def test_location_filter_checkboxes_and_search(as_user, live, role, width):
    with as_user(role, width) as page:
        search = page.locator("#f-location-search")
        assert search.is_visible()
        items = page.locator("#f-location-list li")
        total = items.count()
        assert total == (13 if role == "admin" else 12)
        search.fill("c1")
        visible = page.locator("#f-location-list li:visible").all_inner_texts()
        assert [t.split(" – ")[0] for t in visible] == ["HOU-C1", "HOU-C10", "HOU-C11", "HOU-C12"]
        assert page.inner_text("#f-location-shown") == f"4 of {total} shown"
        page.check("#f-location-list li:visible >> nth=1 >> input")
        search.fill("")
        page.check("#f-location-list li:has-text('HOU-C2') input")
        assert violations(page) == []
        page.click("form.filters button:has-text('Apply')")
        page.wait_for_url("**location=HOU-C10**")
        assert "location=HOU-C2" in page.url
        ticked = page.locator("#f-location-list input:checked").evaluate_all("els => els.map(e => e.value)")
        assert ticked == ["HOU-C10", "HOU-C2"]
        assert page.problems == []


@pytest.mark.parametrize(("role", "width"), CASES)
def test_error_pages_are_styled_with_navigation(as_user, live, role, width):
    with as_user(role, width) as page:
        page.goto(f"{live.url}/admin/no-such-page")
        assert page.inner_text("h1") == "Page not found"
        assert violations(page) == []
        page.click(".error-links a:has-text('Comments')")
        page.wait_for_selector("h1:has-text('Comments')")
        response = page.goto(f"{live.url}/admin/users")
        assert response.status == (200 if role == "admin" else 403)
        if role == "manager":
            assert "This page is for administrators" in page.inner_text("main")
            assert violations(page) == []
        response = page.goto(f"{live.url}/scores/no-such-office")
        assert response.status == 404
        assert page.inner_text("h1") == "There is no scoreboard at this address"
        assert violations(page) == []
        page.click("a:has-text('Houston Passport Agency')")
        page.wait_for_selector("h1:has-text('How satisfied are our visitors?')")
        page.goto(f"{live.url}/scores/no-such-office?lang=es")
        assert page.inner_text("h1") == "No hay ningún tablero en esta dirección"
        assert violations(page) == []


@pytest.mark.parametrize(("role", "width"), CASES)
def test_the_error_summary_takes_the_focus(as_user, live, role, width):
    with as_user(role, width) as page:
        page.goto(f"{live.url}/admin/password")
        page.fill("#current_password", "not the password")
        page.fill("#new_password", "short")
        page.fill("#confirm", "different")
        page.click("main button[type='submit']")
        # forms.js is deferred: the summary can be in the page a moment before the script focuses it
        expect(page.locator("[data-error-summary]")).to_be_focused()
        page.click("[data-error-summary] a[href='#new_password']")
        assert page.evaluate("document.activeElement.id") == "new_password"
        assert violations(page) == []


def _stored(session, query):
    session.rollback()
    return session.scalar(query)


@pytest.mark.parametrize(("role", "width"), CASES)
def test_bulk_spam_and_kiosk_revoke_ask_in_a_dialog(as_user, live, session, world, role, width):
    spam = select(func.count()).select_from(Response).where(Response.comment_state == "spam")
    with as_user(role, width) as page:
        page.goto(f"{live.url}/admin/comments")
        page.check("input[name='ids']")
        page.select_option("#bulk-action", "archive")  # not spam: no question
        page.select_option("#bulk-action", "mark_spam")
        page.click("#bulk button[type='submit']")
        dialog = page.locator("dialog.confirm-dialog")
        dialog.wait_for(state="visible")
        assert "Their ratings stop counting in every score" in dialog.inner_text()
        assert violations(page) == []
        page.click("dialog.confirm-dialog button:has-text('Cancel')")
        dialog.wait_for(state="hidden")
        assert _stored(session, spam) == 0
        page.click("#bulk button[type='submit']")
        page.click("dialog.confirm-dialog button:has-text('Mark as spam')")
        page.wait_for_selector("p.flash:has-text('marked as spam')")
        assert _stored(session, spam) == 1
        page.goto(f"{live.url}/admin/kiosks")
        page.click(f"form[action='/admin/kiosks/{world['device_id']}/revoke'] button")
        dialog.wait_for(state="visible")
        assert "stops taking answers" in dialog.inner_text()
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        revoked = select(Device.revoked_at).where(Device.id == world["device_id"])
        assert _stored(session, revoked) is None
        page.click(f"form[action='/admin/kiosks/{world['device_id']}/revoke'] button")
        page.click("dialog.confirm-dialog button:has-text('Revoke the kiosk')")
        page.wait_for_selector("p.flash:has-text('was revoked')")
        assert _stored(session, revoked) is not None
        assert page.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_deactivating_a_user_asks_in_a_dialog(as_user, live, session, world, width):
    active = select(User.active).where(User.email == USERS["manager"])
    with as_user("admin", width) as page:
        page.goto(f"{live.url}/admin/users")
        page.click("button:has-text('Deactivate…')")
        dialog = page.locator("dialog.confirm-dialog")
        dialog.wait_for(state="visible")
        assert f"{USERS['manager']} can no longer sign in" in dialog.inner_text()
        assert violations(page) == []
        page.keyboard.press("Escape")
        assert _stored(session, active) is True
        page.click("button:has-text('Deactivate…')")
        page.click("dialog.confirm-dialog button:has-text('Deactivate the user')")
        page.wait_for_selector("p.flash:has-text('was deactivated')")
        assert _stored(session, active) is False
