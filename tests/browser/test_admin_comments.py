"""The comment inbox in Chromium over the demo data: reached from the menu, no serious axe-core
violations, no CSP violations, and a bulk action done with the keyboard alone ("select all" is
the page's script; each box and the action list have labels).

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_comments.py` writes
admin-comments.png there; a normal run writes it to a temporary folder.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from feedback.models import AuditEntry, Response
from feedback.services import demo
from tests.browser.conftest import serious, signed_in


@pytest.fixture
def desk(browser, live, session):
    demo.load(session, now=datetime.now(UTC), weeks=1)
    session.rollback()
    with signed_in(browser, live, *demo.DEMO_ADMIN) as page:
        yield page


def open_count(page) -> int:
    text = page.inner_text("nav.tabs a[aria-current='page'] .count")
    return int(re.sub(r"\D", "", text))


def test_inbox_is_accessible_and_works_from_the_keyboard(desk, live, session, shots):
    page = desk
    page.click("nav[aria-label='Admin'] a >> text=Comments")
    page.wait_for_selector("h1:has-text('Comments')")
    session.rollback()
    stored_open = session.scalar(select(func.count()).select_from(Response).where(Response.comment_state == "open"))
    assert stored_open > 25  # more than a page: the demo has plenty of phone comments
    assert open_count(page) == stored_open
    rows = page.locator("table.comments-inbox tbody tr")
    assert rows.count() == 25
    assert serious(Axe().run(page)) == []

    # "Select all" is shown by the script and reached with the keyboard like any control.
    select_all = page.locator("#select-all")
    assert select_all.is_visible()
    select_all.focus()
    page.keyboard.press("Space")
    assert page.locator("input[name='ids'][form='bulk']:checked").count() == 25
    page.focus("#bulk-action")
    page.select_option("#bulk-action", "archive")
    page.focus("form#bulk button[type='submit']")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert page.inner_text("p.flash") == "25 comments archived."
    assert open_count(page) == stored_open - 25
    assert page.inner_text("nav.tabs a[href$='tab=archived'] .count") == "(25)"
    session.rollback()
    assert (
        session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "comment.archive")) == 25
    )

    # One comment as spam with its own button, then back from the spam tab.
    first = rows.first
    first.locator("button[value='mark_spam']").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash:has-text('marked as spam')")
    page.click("nav.tabs >> text=Spam")
    page.wait_for_selector("nav.tabs a[aria-current='page']:has-text('Spam')")
    assert page.locator("table.comments-inbox tbody tr").count() == 1
    assert serious(Axe().run(page)) == []
    page.click("table.comments-inbox button[value='unmark_spam']")
    page.wait_for_selector("p.flash:has-text('no longer spam')")
    assert page.url.endswith("/admin/comments?tab=spam")
    assert page.problems == []

    page.goto(f"{live.url}/admin/comments")
    page.screenshot(path=str(shots / "admin-comments.png"))
