"""Alerts in Chromium over the demo data: reached from the menu, acknowledged with the keyboard,
rule settings saved; no serious axe-core violations and no CSP violations on any of the pages.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_alerts.py` writes
admin-alerts.png and admin-alert.png there; a normal run writes them to a temporary folder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from feedback.models import Alert, AuditEntry
from feedback.services import alerts, demo
from tests.browser.conftest import serious, signed_in


@pytest.fixture
def desk(browser, live, session):
    demo.load(session, now=datetime.now(UTC), weeks=1)
    # A Monday morning after the demo's last day, every kiosk quiet since: silence alerts.
    monday = datetime(2030, 1, 7, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert alerts.run_periodic(session, monday)
    session.rollback()
    with signed_in(browser, live, *demo.DEMO_ADMIN) as page:
        yield page


def test_alerts_are_accessible_and_acknowledged_from_the_keyboard(desk, live, session, shots):
    page = desk
    page.click("nav[aria-label='Admin'] a >> text=Alerts")
    page.wait_for_selector("h1:has-text('Alerts')")
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() >= 3
    assert serious(Axe().run(page)) == []
    page.screenshot(path=str(shots / "admin-alerts.png"), full_page=True)

    rows.first.locator("a").click()
    page.wait_for_selector("table.figures")
    assert serious(Axe().run(page)) == []
    page.screenshot(path=str(shots / "admin-alert.png"), full_page=True)
    alert_id = int(page.url.rsplit("/", 1)[1])
    page.focus("#comment")
    page.keyboard.type("Checked the kiosk: it was switched off.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash:has-text('acknowledged')")
    assert serious(Axe().run(page)) == []
    session.rollback()
    alert = session.get(Alert, alert_id)
    assert alert.comment == "Checked the kiosk: it was switched off."
    assert alert.acknowledged_by == demo.DEMO_ADMIN[0]
    entry = select(AuditEntry.action).where(AuditEntry.target_type == "alert", AuditEntry.target_id == alert_id)
    assert session.scalar(entry) == "alert.acknowledge"

    page.click("text=Alert rules of")
    page.wait_for_selector("h1:has-text('Alert rules of')")
    assert serious(Axe().run(page)) == []
    page.fill("#silence_minutes", "30")
    page.click("button:has-text('Save')")
    page.wait_for_selector("p.flash:has-text('were saved')")
    assert serious(Axe().run(page)) == []
    assert "30 min of opening hours" in page.inner_text("table")
    assert page.problems == []
