"""Alerts appear by themselves (issue 15): over the demo data, with the scheduler loop running beside
the live server as ``make run`` runs it, the admin Alerts page shows the below-target alert
without anyone typing ``flask alerts run``; the jobs' status page says the run went well.
No serious axe-core violations on the status page."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.scheduler import Scheduler
from feedback.services import demo
from tests.browser.conftest import serious, signed_in


@pytest.fixture
def scheduler(app):
    """``flask scheduler`` in a thread, ticking fast; stopped (its job in hand finished) after the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> None:
        thread = threading.Thread(target=Scheduler(app, tick_seconds=0.2).run, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()


def test_the_below_target_alert_appears_without_a_manual_command(browser, live, session, scheduler, shots):
    demo.load(session, now=datetime.now(UTC), weeks=1)
    with signed_in(browser, live, *demo.DEMO_ADMIN) as page:
        page.click("nav[aria-label='Admin'] a >> text=Alerts")
        page.wait_for_selector("h1:has-text('Alerts')")
        assert "No alerts." in page.inner_text("table.alerts")  # nothing has evaluated the rules yet

        scheduler()
        deadline = time.monotonic() + 30
        while "Score below target" not in page.inner_text("table.alerts"):
            assert time.monotonic() < deadline, "no alert within 30 s of starting the scheduler"
            page.wait_for_timeout(300)
            page.reload()
        weak = page.locator("table.alerts tbody tr", has_text="Score below target").first
        assert "below the 85.0 % target" in weak.inner_text()
        assert page.problems == []

        page.click("nav[aria-label='Admin'] a >> text=Scheduled jobs")
        page.wait_for_selector("h1:has-text('Scheduled jobs')")
        alerts_row = page.locator("table.jobs tbody tr", has_text="alerts").first
        assert "OK" in alerts_row.inner_text() and "raised" in alerts_row.inner_text()
        assert serious(Axe().run(page)) == []
        page.screenshot(path=str(shots / "admin-jobs.png"), full_page=True)
        assert page.problems == []
