"""Screenshots of each kiosk screen at a tablet viewport (landscape and portrait, Spanish, audio mode).

`make screenshots` writes them to docs/screenshots/ (shown in the README);
a normal run writes them to a temporary folder, so the suite leaves the tree clean.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from feedback.database import write_transaction
from tests.browser.kiosk_helpers import FOLLOWUP, QUESTION, THANKS, click, enrol, press, settle, tap


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_kiosk_screenshots(tablet, session, live, build, shots, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_THANKS_SECONDS", 30)
    survey = build.survey(
        scale="faces5",
        question={
            "en": "How satisfied are you with the service you received today?",
            "es": "¿Qué tan satisfecho está con el servicio que recibió hoy?",
        },
        omb_control_number="0000-0000",
        omb_expiration=date(2027, 12, 31),
        burden_statement="A federal agency may not conduct or sponsor an information collection unless it "
        "displays a valid OMB control number.",
    )
    location = build.location(code="NYC-W1", survey=survey)
    enrol(tablet, session, live, location)
    tablet.wait_for_timeout(300)
    names = []

    def snap(name):
        path = shots / f"kiosk-{name}.png"
        tablet.screenshot(path=str(path))
        names.append(path)

    snap("question")
    tap(tablet, 2)
    tablet.wait_for_selector(FOLLOWUP)
    click(tablet, ".chip[data-choice='efficiency']")
    snap("followup")
    click(tablet, "#followup-done")
    tablet.wait_for_selector(THANKS)
    snap("thanks")
    tablet.evaluate("() => { location.reload(); }")
    tablet.wait_for_selector(QUESTION)
    click(tablet, "button.lang[lang='es']")
    tablet.wait_for_timeout(200)
    snap("question-es")

    # Portrait: the faces stacked; the follow-up with the time it has left.
    tablet.set_viewport_size({"width": 800, "height": 1280})
    tablet.reload()
    tablet.wait_for_selector(QUESTION)
    click(tablet, "button.lang[lang='es']")
    tablet.wait_for_timeout(200)
    snap("portrait-es")
    click(tablet, "button.lang[lang='en']")
    tap(tablet, 4)
    tablet.wait_for_selector(FOLLOWUP)
    click(tablet, ".chip[data-choice='ease']")
    tablet.wait_for_timeout(1200)  # the countdown has moved
    snap("followup-portrait")
    tablet.reload()  # rather than the 30 s thank-you
    tablet.wait_for_selector(QUESTION)

    # Audio mode, started by the keypad's help key; the arrows have moved to a face.
    tablet.set_viewport_size({"width": 1280, "height": 800})
    settle(tablet)
    press(tablet, "?")
    for _ in range(2):
        tablet.keyboard.press("ArrowDown")
    tablet.wait_for_timeout(200)
    snap("audio")

    tablet.goto(f"{live.url}/kiosk")
    tablet.evaluate("() => localStorage.clear()")
    tablet.reload()
    tablet.wait_for_selector("#screen-unenrolled:not([hidden])")
    snap("unenrolled")
    assert all(path.stat().st_size > 10_000 for path in names)


def test_phone_and_poster_screenshots(browser, session, live, build, shots):
    from feedback.services import survey_links
    from tests.builders import add_user

    survey = build.survey(
        scale="faces5",
        question={
            "en": "How satisfied are you with the service you received today?",
            "es": "¿Qué tan satisfecho está con el servicio que recibió hoy?",
        },
        omb_control_number="0000-0000",
        omb_expiration=date(2027, 12, 31),
        burden_statement="Public burden is estimated at 1 minute.",
    )
    office = build.office(name="New York Benefits Office", tz="America/New_York")
    location = build.location(code="NYC-W1", office=office, survey=survey)
    with write_transaction(session):
        slug = survey_links.current_link(session, location).slug
        add_user(session, "admin@example.gov", "demo-admin-password", "admin")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{live.url}/s/{slug}")
    page.screenshot(path=str(shots / "phone-survey.png"), full_page=True)
    page.click("button.rate[value='2']")
    page.wait_for_selector("#saved:not([hidden])")  # the rating is stored already
    page.screenshot(path=str(shots / "phone-details.png"), full_page=True)
    phone.close()

    desk = browser.new_context(viewport={"width": 900, "height": 1200})
    page = desk.new_page()
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name='email']", "admin@example.gov")
    page.fill("input[name='password']", "demo-admin-password")
    page.click("button[type='submit']")
    page.goto(f"{live.url}/admin/locations/NYC-W1/poster")
    page.screenshot(path=str(shots / "poster.png"), full_page=True)
    desk.close()
    for name in ("phone-survey.png", "phone-details.png", "poster.png"):
        assert (shots / name).stat().st_size > 10_000


def test_scoreboard_and_standards_screenshots(browser, session, live, shots, app):
    """The public scoreboard of a demo office, and the admin quarter view of service standards."""
    from axe_playwright_python.sync_playwright import Axe

    from feedback.services import demo
    from kiosk_app.scoreboard import page_cache

    demo.load(session, now=datetime.now(UTC))  # 13 weeks: the last quarter has responses too
    session.rollback()
    page_cache(app).clear()
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = desk.new_page()
    page.goto(f"{live.url}/scores/houston-passport-agency")
    page.screenshot(path=str(shots / "scoreboard.png"), full_page=True)
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name='email']", demo.DEMO_ADMIN[0])
    page.fill("input[name='password']", demo.DEMO_ADMIN[1])
    page.click("button[type='submit']")
    page.wait_for_url(f"{live.url}/admin/")
    page.click("nav[aria-label='Admin'] a >> text=Service standards")
    page.wait_for_selector("h1:has-text('Service standards')")
    assert page.locator("#standards tbody tr[data-code]").count() == 9
    page.screenshot(path=str(shots / "admin-standards.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    assert violations == [], [(v["id"], v["impact"]) for v in violations]
    desk.close()
    for name in ("scoreboard.png", "admin-standards.png"):
        assert (shots / name).stat().st_size > 20_000
