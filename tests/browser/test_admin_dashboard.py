"""The dashboards in Chromium, over the demo data: figures equal SQL over ``responses``, the CSAT
target line follows the location's target, sorting by a column, no serious accessibility
violations (axe-core), no CSP violations; screenshots for the docs.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_dashboard.py` writes
admin-dashboard.png, admin-location.png and admin-compare.png there; a normal run writes them to a
temporary folder.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.database import write_transaction
from feedback.models import Location
from feedback.services import demo
from tests.browser.conftest import serious, signed_in
from tests.helpers.dashboard_oracle import expect, num, pct, responses

ZONES = ("America/Chicago", "Pacific/Honolulu", "America/New_York")  # the demo's offices


@pytest.fixture
def demo_data(session, live):
    demo.load(session, now=datetime.now(UTC), weeks=2)
    session.rollback()
    return session


@pytest.fixture
def desk(browser, live, demo_data):
    with signed_in(browser, live, *demo.DEMO_ADMIN) as page:
        yield page


def local_today(*zones: str):
    now = datetime.now(UTC)
    return max(now.astimezone(ZoneInfo(z)).date() for z in zones)


def shown(page, scope: str, name: str) -> str:
    return page.inner_text(f"{scope} [data-figure='{name}']").strip()


def test_dashboard_numbers_equal_sql_and_the_target_line_moves(desk, live, demo_data):
    page, session = desk, demo_data
    rows = responses(session)
    codes = {r.code for r in rows}
    assert len(codes) == 9
    # the landing page: the last 7 and 30 days up to today in the offices' local time
    end = local_today(*ZONES)
    assert page.input_value("#f-to") == end.isoformat()
    for key, days in (("7d", 7), ("30d", 30)):
        want = expect(rows, codes, end - timedelta(days=days - 1), end)
        assert shown(page, f"#period-{key}", "count") == num(want.count), key
        assert shown(page, f"#period-{key}", "csat") == pct(want.csat), key
        assert shown(page, f"#period-{key}", "mean") == "—"  # three scales: no mean
    assert want.count > 1000
    # one location, from the list on the landing page
    page.click("#locations a:has-text('Counter 2 - Expedited')")
    page.wait_for_selector("h1:has-text('HOU-C2')")
    end = local_today("America/Chicago")
    want = expect(rows, {"HOU-C2"}, end - timedelta(days=29), end)
    assert shown(page, "#location-summary", "count") == num(want.count)
    assert shown(page, "#location-summary", "csat") == pct(want.csat)
    line = page.locator("#trend svg.wide line.target-line")
    assert line.get_attribute("data-target") == "0.8"
    y_before = float(line.get_attribute("y1"))
    # a new target moves the line up
    with write_transaction(session):
        location = session.query(Location).filter_by(code="HOU-C2").one()
        location.csat_target = 0.95
    page.reload()
    line = page.locator("#trend svg.wide line.target-line")
    assert line.get_attribute("data-target") == "0.95"
    assert float(line.get_attribute("y1")) < y_before
    assert "Target 95.0%" in page.inner_html("#trend svg.wide")
    # hour x weekday in Chicago time: the demo's busiest hours are within opening hours (08-16)
    header = page.locator("#heat-count th[scope='col']").all_text_contents()
    assert header[1] >= "08:00" and header[-1] <= "16:00"
    assert page.problems == []


def test_compare_sorts_by_a_column_and_flags_locations_below_target(desk, live, demo_data):
    page, session = desk, demo_data
    rows = responses(session)
    targets = {loc.code: loc.csat_target for loc in session.query(Location)}
    page.click("nav[aria-label='Admin'] a >> text=Compare locations")
    page.wait_for_selector("h1:has-text('Compare locations')")
    page.click("th[data-sort='csat'] a")
    page.wait_for_url(re.compile(r"sort=csat"))
    assert page.get_attribute("th[data-sort='csat']", "aria-sort") == "descending"
    assert page.locator("th[aria-sort]").count() == 1
    first = datetime.fromisoformat(page.input_value("#f-from")).date()
    last = datetime.fromisoformat(page.input_value("#f-to")).date()
    want = {code: expect(rows, {code}, first, last) for code in targets}
    order = page.locator("#compare tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert order == sorted(want, key=lambda c: want[c].csat, reverse=True)
    below = set(page.locator("#compare tbody tr.below").evaluate_all("rows => rows.map(r => r.dataset.code)"))
    assert below == {c for c in want if want[c].csat < targets[c]}
    assert below  # the demo's NYC windows miss their target
    for code in below:
        assert page.inner_text(f"#compare tr[data-code='{code}'] [data-col='status']") == "Below target"
    page.click("th[data-sort='csat'] a")
    page.wait_for_url(re.compile(r"dir=asc"))
    assert page.get_attribute("th[data-sort='csat']", "aria-sort") == "ascending"
    assert page.problems == []


def test_dashboards_are_accessible_and_screenshots(desk, live, shots):
    page = desk
    axe = Axe()
    pages = (
        ("admin-dashboard.png", "/admin/"),
        ("admin-location.png", "/admin/locations/NYC-W1"),
        ("admin-compare.png", "/admin/compare?sort=csat&dir=desc"),
    )
    for name, path in pages:
        page.goto(f"{live.url}{path}")
        page.screenshot(path=str(shots / name), full_page=True)
        assert serious(axe.run(page)) == [], path
        for summary in page.locator("details > summary").all():
            summary.click()  # the data tables, open
        assert serious(axe.run(page)) == [], f"{path} with its data tables open"
        assert (shots / name).stat().st_size > 20_000
    # the filters are a plain form: the state goes to the URL
    page.goto(f"{live.url}/admin/")
    page.select_option("#f-office", label="Honolulu Passport Agency")
    page.select_option("#f-channel", "qr")
    page.click("form.filters button[type='submit']")
    page.wait_for_url(re.compile(r"office=honolulu-passport-agency.*channel=qr|channel=qr.*office=honolulu"))
    assert "Honolulu Passport Agency" in page.inner_text("p.lede")
    assert page.locator("#locations tbody th[scope='row']").all_inner_texts() == ["HNL-C1", "HNL-C2"]
    assert page.problems == []
