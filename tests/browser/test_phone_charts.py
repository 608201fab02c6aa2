"""Charts and tables on a phone (issue 16 item 7), in Chromium over the demo data: at 390 px every
chart shows its phone drawing 1:1, so no chart text is under 12 px and no chart is wider than the
screen; at 1440 px the wide drawing shows. The comparison and scoreboard tables keep their key
columns (the counter and its CSAT) on screen. Admin and manager alike; axe clean.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_phone_charts.py` writes
admin-charts-phone.png there."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Office
from feedback.services import demo
from tests.browser.conftest import serious, signed_in
from tests.builders import PASSWORD, add_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 1000}
MANAGER = "manager.charts@example.gov"

CHARTS = """() => [...document.querySelectorAll('figure.chart')].map(fig => {
  const shown = [...fig.querySelectorAll('svg.chart-svg')].filter(s => getComputedStyle(s).display !== 'none');
  if (shown.length !== 1) return {id: fig.id, shown: shown.length};
  const svg = shown[0], box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return {id: fig.id, shown: 1, narrow: svg.classList.contains('narrow'), right: box.right,
          smallest: sizes.length ? Math.min(...sizes) : null};
})"""

# The row's counter cell and its CSAT cell (``csat``: a selector within the row), with the CSAT
# cell scrolled into view inside the table's region: both must then be on the screen.
KEY_COLUMNS = """([sel, csat]) => {
  const row = document.querySelector(sel).querySelector('tbody tr');
  const key = row.children[0], figure = csat ? row.querySelector(csat) : row.children[1];
  figure.scrollIntoView({block: 'nearest', inline: 'nearest'});
  return [key, figure].map(c => [c.getBoundingClientRect().left, c.getBoundingClientRect().right]);
}"""


def on_screen(edges) -> bool:
    return all(left >= 0 and right <= PHONE["width"] for left, right in edges)


@pytest.fixture
def demo_data(session, live):
    demo.load(session, now=datetime.now(UTC), weeks=2)
    with write_transaction(session):
        for office in session.scalars(select(Office)):
            office.scoreboard_public = True
        houston = session.scalar(select(Office).where(Office.name.like("Houston%")))
        add_user(session, MANAGER, PASSWORD, "manager", offices=[houston])
    session.rollback()
    return session


def _pages(session) -> list[str]:
    code = session.scalar(select(Office.slug).order_by(Office.id))
    return ["/admin/", "/admin/compare", f"/scores/{code}"]


@pytest.mark.parametrize("who", ["admin@example.gov", MANAGER])
def test_charts_on_a_phone_keep_12_px_text_and_fit(browser, live, demo_data, who):
    password = "demo-admin-password" if who == "admin@example.gov" else PASSWORD
    with signed_in(browser, live, who, password, PHONE) as page:
        pages = ["/admin/", "/admin/compare"]
        location = page.locator("table a[href*='/admin/locations/']").first.get_attribute("href")
        pages.append(location)
        for path in pages:
            page.goto(f"{live.url}{path}")
            charts = page.evaluate(CHARTS)
            assert charts, path
            for chart in charts:
                assert chart["shown"] == 1, (path, chart)
                assert chart["narrow"], (path, chart)
                assert chart["right"] <= PHONE["width"], (path, chart)
                if chart["smallest"] is not None:
                    assert chart["smallest"] >= 11.99, (path, chart)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            assert serious(Axe().run(page)) == [], path
            if path == "/admin/" and os.environ.get("SCREENSHOT_DIR") and who == MANAGER:
                page.screenshot(
                    path=os.path.join(os.environ["SCREENSHOT_DIR"], "admin-charts-phone.png"), full_page=True
                )
        page.goto(f"{live.url}/admin/compare")
        assert on_screen(page.evaluate(KEY_COLUMNS, ["table#compare", "td[data-col=csat]"])), "compare"
        assert page.problems == []


def test_wide_screens_show_the_wide_drawing(browser, live, demo_data):
    with signed_in(browser, live, "admin@example.gov", "demo-admin-password", WIDE) as page:
        charts = page.evaluate(CHARTS)
        assert charts and all(c["shown"] == 1 and not c["narrow"] for c in charts), charts
        assert min(c["smallest"] for c in charts if c["smallest"]) >= 11.99


def test_the_scoreboard_keeps_its_key_columns_on_a_phone(browser, live, demo_data):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live.url}{_pages(demo_data)[2]}")
        assert on_screen(page.evaluate(KEY_COLUMNS, ["table#scores", None]))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious(Axe().run(page)) == []
    finally:
        context.close()
