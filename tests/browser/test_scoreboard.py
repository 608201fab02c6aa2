"""The public scoreboard in headless Chromium: the table's figures, no accessibility violations
(axe-core, every impact level), the switch to Spanish and to every other visitor language (Arabic
right to left), and the print style sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services.fiscal import FiscalQuarter
from kiosk_app.scoreboard import page_cache
from tests.helpers.responses import put

DESK = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _fresh_cache(app):
    page_cache(app).clear()
    yield
    page_cache(app).clear()


@pytest.fixture
def office(session, build, live):
    """A published office (target 80 %): Counter 1 with 34 of 40 positive this quarter and 10 of 20
    last quarter; Counter 2 with 4 answers (too few to show a share)."""
    today = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date()
    this = FiscalQuarter.of(today)
    office = build.office("New York Passport Agency", "America/New_York")
    c1 = build.location("NYP-1", office=office)
    c2 = build.location("NYP-2", office=office)
    with write_transaction(session):
        stored = session.get(Office, office.id)
        stored.scoreboard_public, stored.csat_target = True, 0.8
        session.get(Location, c1.id).name = "Window 1"
        session.get(Location, c2.id).name = "Window 2"
    put(session, c1, [5] * 30 + [4] * 4 + [1] * 6, this.start, comment="Ask for Jane at window 1")
    put(session, c1, [5] * 10 + [2] * 10, this.previous().start)
    put(session, c2, [5, 5, 1, 1], this.start)
    return office


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport=DESK, locale="en-US")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    yield page
    context.close()


def row(page, heading: str) -> list[str]:
    cells = page.locator(f"#scores tr:has(th[scope='row']:text-is('{heading}')) td").all_inner_texts()
    return [" ".join(text.split()) for text in cells]


def test_scoreboard_in_chromium(desk, live, office):
    page = desk
    response = page.goto(f"{live.url}/scores/{office.slug}")
    assert response.status == 200
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "How satisfied are our visitors?"
    assert page.locator("#scores caption").count() == 1
    headers = page.locator("#scores thead th[scope='col']").all_inner_texts()
    assert headers[:3] == ["Counter", "Satisfied this quarter", "Likely range (95%)"]
    assert row(page, "Window 1") == ["85%", "71% to 93%", "40", "80%", "Meets the target", "50%", "20"]
    assert row(page, "Window 2") == [
        "Not enough responses yet",
        "–",
        "4",
        "80%",
        "Not enough responses yet",
        "No responses yet",
        "0",
    ]
    assert row(page, "All counters")[2] == "44"
    assert "Jane" not in page.content()

    results = Axe().run(page)
    assert results.response["violations"] == [], [(v["id"], v["impact"]) for v in results.response["violations"]]

    page.click("nav.langs a[lang='es']")
    page.wait_for_url(f"{live.url}/scores/{office.slug}?lang=es")
    assert page.get_attribute("html", "lang") == "es"
    assert row(page, "Window 1")[0] == "85 %"
    assert page.get_attribute("nav.langs a[lang='es']", "aria-current") == "true"
    results = Axe().run(page)
    assert results.response["violations"] == [], [(v["id"], v["impact"]) for v in results.response["violations"]]

    assert page.is_visible("nav.langs")
    page.emulate_media(media="print")
    assert not page.is_visible("nav.langs")  # the print sheet drops the language switch
    assert page.is_visible("#scores") and page.is_visible("h1")
    page.emulate_media(media="screen")
    assert page.is_visible("nav.langs")
    assert page.problems == []


@pytest.mark.parametrize("width", [390, 1280])
def test_every_visitor_language_in_chromium(browser, live, office, shots, width):
    """Issue 17: each shipped language with its ``lang`` and ``dir``; Arabic laid out right to
    left (the counter column on the right, figures read from it); axe clean; no page-wide
    sideways scroll at a phone's width or a desk's."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for code, tag in (("zh", "zh-Hans"), ("vi", "vi"), ("ko", "ko"), ("tl", "tl"), ("ar", "ar")):
            page.goto(f"{live.url}/scores/{office.slug}?lang={code}")
            assert page.get_attribute("html", "lang") == tag
            direction = page.evaluate("() => getComputedStyle(document.body).direction")
            assert direction == ("rtl" if code == "ar" else "ltr"), code
            assert page.get_attribute(f"nav.langs a[lang='{tag}']", "aria-current") == "true"
            assert row(page, "Window 1")[0].replace("\u200e", "") in ("85%", "85 %"), code
            assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), (code, width)
            results = Axe().run(page)
            assert results.response["violations"] == [], (code, [v["id"] for v in results.response["violations"]])
            if code == "ar":
                heading = page.locator("#scores tr:has(th:text-is('Window 1')) th").bounding_box()
                share = page.locator("#scores tr:has(th:text-is('Window 1')) td").first.bounding_box()
                assert heading["x"] > share["x"], "the counter column is on the right in Arabic"
                if width == 390:
                    page.screenshot(path=str(shots / "scoreboard-ar-phone.png"), full_page=True)
    finally:
        context.close()


def test_scoreboard_is_usable_by_keyboard(desk, live, office):
    page = desk
    page.goto(f"{live.url}/scores/{office.slug}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "English"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Español"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/scores/{office.slug}?lang=es")
    assert page.get_attribute("html", "lang") == "es"


def test_unpublished_office_is_not_found(desk, live, session, office):
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = False
    response = desk.goto(f"{live.url}/scores/{office.slug}")
    assert response.status == 404
