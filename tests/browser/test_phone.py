"""The phone survey in headless Chromium at a phone viewport: with and without JavaScript."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.database import write_transaction
from feedback.extensions import limiter
from feedback.services import survey_links
from tests.browser.conftest import PHONE
from tests.browser.kiosk_helpers import stored, wait_until


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test's phone posts from 127.0.0.1: start each with empty counters."""
    limiter.reset()


@pytest.fixture
def slug(session, build):
    survey = build.survey(
        scale="faces5", question={"en": "How was your visit today?", "es": "¿Cómo fue su visita hoy?"}
    )
    location = build.location(code="NYC-W2", survey=survey)
    with write_transaction(session):
        return survey_links.current_link(session, location).slug


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def serious(results):
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_submit_with_javascript_without_reload(phone_page, session, live, slug):
    page = phone_page
    page.goto(f"{live.url}/s/{slug}")
    assert page.inner_text("h1") == "How was your visit today?"
    url = page.url
    page.click("button.rate[value='2']")
    assert page.is_visible("fieldset.followup[data-side='negative']")
    assert not page.is_visible("fieldset.followup[data-side='positive']")
    page.check("fieldset.followup[data-side='negative'] input[value='efficiency']")
    page.fill("#comment", "Too slow. Call me at (713) 555-0134.")
    page.click("button[value='send']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    assert page.url == url  # no reload, no navigation
    [row] = wait_until(lambda: stored(session), message="the phone answer")
    assert (row.channel, row.rating, row.followup_chosen, row.language) == ("qr", 2, ["efficiency"], "en")
    assert row.comment == "Too slow. Call me at [removed]."
    assert page.errors == []


def test_submit_without_javascript(browser, session, live, slug):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/s/{slug}")
        page.click("button.rate[value='5']")  # a plain form post
        page.wait_for_selector("text=What went well?")
        assert "Very satisfied" in page.inner_text(".chosen")
        page.check("input[value='employee']")
        page.click("button[value='send']")
        page.wait_for_selector("h1:has-text('Thank you!')")
        assert page.url.endswith(f"/s/{slug}/thanks?lang=en")
        [row] = wait_until(lambda: stored(session), message="the phone answer")
        assert (row.channel, row.rating, row.followup_chosen) == ("qr", 5, ["employee"])
    finally:
        context.close()


def test_language_from_browser_and_toggle(browser, session, live, slug):
    context = browser.new_context(viewport=PHONE, locale="es-MX")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/s/{slug}")
        assert page.inner_text("h1") == "¿Cómo fue su visita hoy?"
        assert page.get_attribute("html", "lang") == "es"
        page.click("a.lang[lang='en']")
        assert page.inner_text("h1") == "How was your visit today?"
        page.click("a.lang[lang='es']")
        page.click("button.rate[value='4']")
        assert page.is_visible("text=¿Qué salió bien?")
        page.click("button[value='skip']")
        page.wait_for_selector("h1:has-text('¡Gracias!')")
        [row] = wait_until(lambda: stored(session), message="the phone answer")
        assert row.language == "es" and row.followup_chosen == []
    finally:
        context.close()


def test_accessibility_of_phone_pages(phone_page, live, slug):
    axe = Axe()
    page = phone_page
    page.goto(f"{live.url}/s/{slug}")
    assert serious(axe.run(page)) == [], "survey page"
    page.click("button.rate[value='1']")
    assert serious(axe.run(page)) == [], "details revealed"
    page.click("button[value='send']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    assert serious(axe.run(page)) == [], "thank-you"
    page.goto(f"{live.url}/s/unknown-code")
    assert serious(axe.run(page)) == [], "not found page"


def test_phone_targets_are_large(phone_page, live, slug):
    phone_page.goto(f"{live.url}/s/{slug}")
    for element in phone_page.query_selector_all("button.rate, a.lang"):
        box = element.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
