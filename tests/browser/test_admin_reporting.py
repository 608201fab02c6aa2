"""The A-11 reporting page in Chromium over a week of demo data: no serious accessibility
violations (axe-core), no CSP violations, volumes saved with the keyboard, the Houston counters
named as not reported (4 faces) and New York's collection details with their files; a screenshot
for the docs.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_reporting.py` writes
admin-reporting.png there; a normal run writes it to a temporary folder.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from feedback.models import CustomerVolume, Location
from feedback.services import demo
from tests.browser.conftest import serious, signed_in


@pytest.fixture
def desk(browser, live, session):
    demo.load(session, weeks=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC))  # 13..19 November: FY2027Q1
    session.rollback()
    with signed_in(browser, live, *demo.DEMO_MANAGER) as page:
        yield page


def test_reporting_page_is_accessible_and_saves_volumes(desk, live, session, shots):
    page = desk
    page.click("nav[aria-label='Admin'] a >> text=Reporting")
    page.select_option("#quarter", "FY2027Q1")
    page.click("text=Show")
    page.wait_for_url(f"{live.url}/admin/reporting?quarter=FY2027Q1")
    assert page.inner_text("h1") == "A-11 Section 280 reporting"
    codes = page.eval_on_selector_all("table.volumes tbody th", "cells => cells.map(c => c.innerText.split('\\n')[0])")
    assert sorted(set(codes)) == ["HOU-C1", "HOU-C2", "HOU-C3"]  # the Houston manager's counters only

    assert serious(Axe().run(page)) == []

    hou_c1 = session.scalar(select(Location.id).where(Location.code == "HOU-C1"))
    page.focus(f"#served-{hou_c1}-kiosk")
    page.keyboard.type("1200")
    page.keyboard.press("Tab")
    page.keyboard.type("1100")
    page.keyboard.press("Enter")  # submits the volumes form
    page.wait_for_selector("p.flash")
    assert page.inner_text("p.flash") == "Saved the customer volumes of FY2027Q1 (1 changed)."
    assert page.input_value(f"#served-{hou_c1}-kiosk") == "1200"
    session.rollback()
    assert session.scalars(
        select(CustomerVolume.volume_of_customers_provided_survey_opportunity).where(
            CustomerVolume.fiscal_year == 2027, CustomerVolume.quarter == 1
        )
    ).all() == [1100]

    # Houston's counters ask a 4-face survey: named as not reported before anything is exported.
    status = page.inner_text("table.asked tbody tr[data-code='HOU-C1'] td[data-col='a11']")
    assert "Not reported" in status and "4-point scale cannot be reported as A-11 question 1" in status
    assert page.problems == []


def test_collection_details_show_what_to_submit(browser, live, session, shots):
    demo.load(session, weeks=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    session.rollback()
    with signed_in(browser, live, *demo.DEMO_ADMIN) as page:
        page.goto(f"{live.url}/admin/reporting?quarter=FY2027Q1&office=new-york-benefits-office")
        cards = page.locator("article.detail")
        assert cards.count() == 4  # claims and information desk, kiosk and phone each
        first = cards.nth(0)
        assert "post_interaction" in first.inner_text()
        link = first.locator("a[download]")
        assert link.inner_text().startswith("a11-FY2027Q1-responses-") and link.inner_text().endswith(".csv")
        assert "Put right before you submit" in first.inner_text()  # this quarter's volumes are not entered
        assert serious(Axe().run(page)) == []
        page.screenshot(path=str(shots / "admin-reporting.png"), full_page=False)
        assert page.problems == []
