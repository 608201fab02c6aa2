"""The A-11 reporting page in Chromium over a week of demo data: no serious accessibility
violations (axe-core), no CSP violations, volumes saved with the keyboard; a screenshot for the docs.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_reporting.py` writes
admin-reporting.png there; a normal run writes it to a temporary folder.
"""

from __future__ import annotations

from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from feedback.models import CustomerVolume, Location
from feedback.services import demo
from tests.browser.conftest import serious, signed_in


@pytest.fixture
def desk(browser, live, session):
    demo.load(session, weeks=1, today=date(2026, 11, 20))  # 13..19 November: FY2027Q1
    session.rollback()
    with signed_in(browser, live, *demo.DEMO_MANAGER) as page:
        yield page


def test_reporting_page_is_accessible_and_saves_volumes(desk, live, session, shots):
    page = desk
    page.click("nav[aria-label='Admin'] >> text=Reporting")
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

    page.screenshot(path=str(shots / "admin-reporting.png"), full_page=False)
    assert page.problems == []
