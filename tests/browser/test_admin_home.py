"""The admin home page in Chromium, over the demo data, as an admin and as the New York manager,
at 1440 and 390 px: what needs doing (each item links where it is handled), count badges in the
grouped menu, the current place shown, changes only when the interval says so, partial periods
marked; no serious axe-core violations, no CSP violations.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_home.py` writes
admin-home.png (admin, 1440 px) and admin-home-phone.png (manager, 390 px) there.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, update

from feedback.database import write_transaction
from feedback.models import Device, Location, Office
from feedback.services import alerts, attention, demo, users
from tests.browser.conftest import serious, signed_in
from tests.builders import PASSWORD, add_user
from tests.helpers.responses import item, qr

WIDE = {"width": 1440, "height": 1000}
NARROW = {"width": 390, "height": 844}
NY_MANAGER = "manager.newyork@example.gov"
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def demo_data(session, live):
    """Two weeks of the demo; New York open around the clock (so its silent kiosk is silent at any
    hour the test runs), every kiosk heard from just now but Window 3's, quiet for three hours;
    the alert rules run once; a manager for New York."""
    now = datetime.now(UTC)
    demo.load(session, now=now, weeks=2)
    with write_transaction(session):
        ny = session.scalar(select(Office).where(Office.name == "New York Benefits Office"))
        ny.opening_hours = ALWAYS_OPEN
        session.execute(update(Device).values(last_seen_at=now))
        w3 = session.scalar(select(Location).where(Location.code == "NYC-W3"))
        session.execute(update(Device).where(Device.location_id == w3.id).values(last_seen_at=now - timedelta(hours=3)))
        add_user(session, NY_MANAGER, PASSWORD, "manager", offices=[ny])
        w1 = session.scalar(select(Location).where(Location.code == "NYC-W1"))
    # three answers today so far (in New York's local date, the latest of the demo's)
    midnight = datetime.combine(now.astimezone(ny.tz).date(), time(0), ny.tz)
    qr(session, w1, [item(5, max(now - timedelta(minutes=k), midnight)) for k in (1, 2, 3)])
    alerts.run_periodic(session, now)
    session.rollback()
    return session


def expected(session, email: str):
    user = users.user_by_email(session, email)
    scope = users.scope_location_ids(session, user)
    found = attention.attention(session, scope, datetime.now(UTC))
    session.rollback()
    return found, attention.badges(session, scope)


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_home_says_what_needs_doing(browser, live, demo_data, who, viewport):
    session = demo_data
    email, password = demo.DEMO_ADMIN if who == "admin" else (NY_MANAGER, PASSWORD)
    todo, badges = expected(session, email)
    with signed_in(browser, live, email, password, viewport) as page:
        items = page.locator("#todo li.todo-item")
        kinds = items.evaluate_all("els => els.map(e => [e.dataset.kind, Number(e.dataset.count)])")
        assert kinds == [[i.kind, i.count] for i in todo.items]
        # Window 3 first: clearly below its target, with the gap and the interval in words
        first = items.first
        assert first.get_attribute("data-kind") == "below_target"
        assert "NYC-W3" in first.inner_text()
        w3 = todo.items[0]
        gap = f"{w3.gap_points:.1f} points below"
        assert gap in first.inner_text() and "Clearly below" in first.inner_text()
        assert {"alerts", "silent_kiosks", "negative_comments"} <= {k for k, _n in kinds}
        assert "NYC-W3 kiosk" in page.inner_text("#todo li[data-kind='silent_kiosks']")
        if who == "manager":  # only New York's counters
            codes = [i.location.code for i in todo.of("below_target")]
            assert codes and all(c.startswith("NYC-") for c in codes)
            assert "HOU-" not in page.inner_text("#todo")
        # the menu: grouped, with counts, and the current place shown (not only announced)
        menu = page.locator("nav[aria-label='Admin']")
        assert menu.locator(".menu-group-label").all_text_contents() == [
            "Scores",
            "Comments & alerts",
            "Reporting",
            "Setup",
        ]
        assert menu.locator("[data-badge='comments']").inner_text().startswith(f"{badges.comments:,}")
        assert menu.locator("[data-badge='alerts']").inner_text().startswith(f"{badges.alerts:,}")
        assert badges.alerts >= 1 and badges.comments >= 1
        current = menu.locator("a[aria-current='page']")
        assert current.all_inner_texts() == ["Dashboard"]
        style = current.evaluate("a => getComputedStyle(a).backgroundColor")
        other = menu.locator("a", has_text="Compare locations").evaluate("a => getComputedStyle(a).backgroundColor")
        assert style == "rgb(255, 255, 255)" and style != other
        # the cards: a partial today, compared with the same hours a week before; no change in red
        # unless the interval says it is one
        today = page.locator("#period-today")
        assert "so far" in today.inner_text() and "the same hours of" in today.inner_text()
        for change in page.locator(".periods .change").all():
            text = change.inner_text()
            assert ("about the same" in text) != (change.get_attribute("class") in ("change up", "change down"))
        assert page.locator("#trend svg.wide circle.dot.partial").count() == 1
        assert "(partial)" in page.locator("#trend tbody tr").last.text_content()
        # fits the width, and axe finds nothing serious
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert serious(Axe().run(page)) == []
        # each item leads where it is handled; the menu then shows where we are
        first.locator("a.go").click()
        page.wait_for_selector("h1:has-text('NYC-W3')")
        assert menu.locator("a.current").all_inner_texts() == ["Dashboard"]  # a dashboard under it
        page.go_back()
        page.locator("#todo li[data-kind='negative_comments'] a.go").click()
        page.wait_for_url(f"{live.url}/admin/comments")
        assert menu.locator("a[aria-current='page']").inner_text().startswith("Comments")
        # (the inbox's own table may scroll sideways on a phone: that page is not this test's)
        assert menu.evaluate("m => m.scrollWidth") <= viewport["width"]
        assert serious(Axe().run(page)) == []
        page.locator("nav[aria-label='Admin'] a", has_text="Alerts").click()
        page.wait_for_url(f"{live.url}/admin/alerts")
        assert menu.locator(".current-group .menu-group-label").text_content() == "Comments & alerts"
        assert page.problems == []


def test_the_menu_works_from_the_keyboard(browser, live, demo_data):
    with signed_in(browser, live, NY_MANAGER, PASSWORD, WIDE) as page:
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the brand
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Dashboard"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live.url}/admin/compare")
        assert page.locator("nav[aria-label='Admin'] a[aria-current='page']").inner_text() == "Compare locations"
        # admins-only items are not offered to a manager
        assert page.locator("nav[aria-label='Admin'] a", has_text="Users").count() == 0


def test_home_screenshots(browser, live, demo_data, shots):
    with signed_in(browser, live, *demo.DEMO_ADMIN, WIDE) as page:
        page.screenshot(path=str(shots / "admin-home.png"), full_page=True)
    with signed_in(browser, live, NY_MANAGER, PASSWORD, NARROW) as page:
        page.locator("#todo").screenshot(path=str(shots / "admin-home-phone.png"))
    assert (shots / "admin-home.png").stat().st_size > 20_000
    assert (shots / "admin-home-phone.png").stat().st_size > 10_000
