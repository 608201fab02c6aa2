"""Kiosk screens serve every visitor: the Skip rule, time limits that warn and extend, a clean
reset, and no staff jargon or untranslated text on the visitor's screen."""

from __future__ import annotations

import re
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import serious
from tests.browser.kiosk_helpers import (
    FOLLOWUP,
    IDLE,
    ORIENTATIONS,
    QUESTION,
    THANKS,
    click,
    enrol,
    settle,
    stored,
    tap,
    touch,
    touch_tablet,
    wait_js,
    wait_until,
)

SCREEN = "document.getElementById('app').dataset.state"


@pytest.fixture
def tablet(browser):
    """A landscape tablet with a touch screen: every tap below is a touch (page.tap, touchscreen.tap)."""
    with touch_tablet(browser, ORIENTATIONS["landscape"]) as page:
        yield page


def _seconds_left(page) -> int:
    text = page.inner_text("#timer")
    numbers = re.findall(r"\d+", text)
    assert numbers, f"no time shown in {text!r}"
    return int(numbers[0])


def test_skip_keeps_the_chips_already_chosen(tablet, session, live, kiosk_location):
    """Issue 10 item 4: Skip means "no more", not "forget what I chose"."""
    enrol(tablet, session, live, kiosk_location)
    tap(tablet, 2)
    tablet.wait_for_selector(FOLLOWUP)
    settle(tablet)
    click(tablet, ".chip[data-choice='efficiency']")
    click(tablet, "#followup-skip")
    tablet.wait_for_selector(THANKS)
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen) == (2, ["efficiency"])


def test_follow_up_shows_the_time_left_and_any_touch_or_key_extends_it(
    browser, session, live, kiosk_location, app, monkeypatch
):
    """Issue 10 item 5 (WCAG 2.2.1): no silent auto-submit; the visitor sees the time and gets more."""
    monkeypatch.setitem(app.config, "KIOSK_FOLLOWUP_SECONDS", 3)
    with touch_tablet(browser, ORIENTATIONS["landscape"]) as page:
        enrol(page, session, live, kiosk_location)
        tap(page, 4)
        page.wait_for_selector(FOLLOWUP)
        assert page.is_visible("#timer")
        first = _seconds_left(page)
        assert 2 <= first <= 3
        wait_until(lambda: _seconds_left(page) <= 1, timeout=4, message="the countdown")
        touch(page, "#followup-hint")  # a touch anywhere, not on a control
        page.wait_for_timeout(300)
        assert page.evaluate(SCREEN) == "followup"
        assert _seconds_left(page) >= 2, "a touch gives the full time again"
        wait_until(lambda: _seconds_left(page) <= 1, timeout=4, message="the countdown")
        page.keyboard.press("Shift")  # any key, too
        page.wait_for_timeout(300)
        assert page.evaluate(SCREEN) == "followup" and _seconds_left(page) >= 2
        page.wait_for_selector(THANKS, timeout=6000)  # left alone, it sends what was chosen
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen) == (4, [])


def test_a_visitor_who_chose_spanish_is_warned_before_the_idle_reset(
    tablet, session, live, kiosk_location, app, monkeypatch
):
    """The idle reset would switch a Spanish visitor back to English: it warns and a touch extends it."""
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 3)
    enrol(tablet, session, live, kiosk_location)
    click(tablet, "button.lang[lang='es']")
    wait_until(lambda: tablet.is_visible("#timer"), timeout=4, message="the warning")
    assert "s" in tablet.inner_text("#timer") and "Toque" in tablet.inner_text("#timer")
    for _ in range(3):  # three more periods, each extended by a touch
        wait_until(lambda: _seconds_left(tablet) <= 1, timeout=5, message="the countdown")
        tablet.touchscreen.tap(5, 400)
        tablet.wait_for_timeout(200)
        assert tablet.evaluate(SCREEN) == "question"
    assert tablet.get_attribute("html", "lang") == "es"
    tablet.wait_for_selector(IDLE, timeout=6000)  # left alone, it resets for the next visitor
    assert tablet.get_attribute("html", "lang") == "en"


def test_every_reset_closes_the_paperwork_notice(tablet, session, live, build, app, monkeypatch):
    """Issue 10 item 9: the PRA dialog left open covered the idle screen for the next visitor."""
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 1)
    monkeypatch.setitem(app.config, "KIOSK_FOLLOWUP_SECONDS", 1)
    survey = build.survey(
        omb_control_number="1234-5678",
        omb_expiration=date(2027, 6, 30),
        burden_statement="Public burden is estimated at 1 minute.",
    )
    enrol(tablet, session, live, build.location(code="PRA-RESET", survey=survey))
    settle(tablet)
    click(tablet, "#pra-open")
    assert tablet.is_visible("#pra-statement")
    tablet.wait_for_selector(IDLE, timeout=8000)
    assert tablet.locator("#pra-dialog[open]").count() == 0, "the idle screen is clean"
    tablet.touchscreen.tap(640, 400)  # wake
    tablet.wait_for_selector(QUESTION)
    tap(tablet, 5)
    tablet.wait_for_selector(FOLLOWUP)
    settle(tablet)
    click(tablet, "#pra-open")
    tablet.wait_for_selector(THANKS, timeout=8000)  # the follow-up timed out under the dialog
    tablet.wait_for_selector(QUESTION)
    assert tablet.locator("#pra-dialog[open]").count() == 0, "the next visitor's question is clean"
    assert tablet.is_enabled(".rate[data-rating='1']")


def test_no_staff_jargon_and_every_visible_string_in_the_visitors_language(tablet, session, live, kiosk_location):
    """Issue 10 item 10: "online · 0 queued" in English on the Spanish screen."""
    enrol(tablet, session, live, kiosk_location)
    click(tablet, "button.lang[lang='es']")
    for screen in ("question", "followup"):
        if screen == "followup":
            tap(tablet, 2)
            tablet.wait_for_selector(FOLLOWUP)
        visible = tablet.inner_text("body")
        for english in ("online", "offline", "queued", "Waiting", "Audio guide", "Send", "seconds"):
            assert english not in visible, (screen, english, visible)
    # Staff still see the status, translated, by holding the corner for two seconds.
    tablet.mouse.move(20, 20)
    tablet.mouse.down()
    tablet.wait_for_timeout(2100)
    tablet.mouse.up()
    wait_js(tablet, "!document.getElementById('status-text').hidden")
    assert re.fullmatch(r"en línea · \d+ en cola", tablet.inner_text("#status-text"))


def test_waiting_for_the_network_is_said_in_both_languages(browser, session, live, kiosk_location):
    context = browser.new_context(viewport=ORIENTATIONS["landscape"], service_workers="block")
    page = context.new_page()
    try:
        enrol(page, session, live, kiosk_location)
        page.evaluate("() => { localStorage.removeItem('kiosk.config'); localStorage.removeItem('kiosk.etag'); }")
        page.route("**/api/v1/kiosk/config", lambda route: route.abort())
        page.reload()
        wait_js(page, "document.getElementById('screen-loading').innerText.includes('red')")
        text = page.inner_text("#screen-loading")
        assert "Waiting for the network" in text and "Esperando la red" in text
    finally:
        context.close()


def test_accessibility_in_portrait_in_spanish_with_the_time_shown(browser, session, live, kiosk_location):
    with touch_tablet(browser, ORIENTATIONS["portrait"]) as page:
        enrol(page, session, live, kiosk_location)
        click(page, "button.lang[lang='es']")
        axe = Axe()
        assert serious(axe.run(page)) == [], "question"
        tap(page, 2)
        page.wait_for_selector(FOLLOWUP)
        assert page.is_visible("#timer")
        assert serious(axe.run(page)) == [], "follow-up with its time left"
        click(page, "#audio")
        assert serious(axe.run(page)) == [], "audio mode"
