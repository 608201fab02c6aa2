"""Comment triage in Chromium over the demo data, as the demo admin and the Houston manager, at a
desk (1440 px) and a phone (390 px) width: order the inbox negative first, filter it to negative
ratings, follow a comment up (assign it to oneself with a due date and a note), find it under
"Assigned to me", read the topics page; axe-core finds no serious violation on any of the three
pages, and none of them scrolls sideways on the phone.

`SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/browser/test_admin_triage.py` writes
admin-triage-admin-desk.png, admin-triage-manager-phone.png and admin-topics.png there (in the README).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from feedback.models import AuditEntry, CommentCase, Location, Response
from feedback.services import demo
from tests.browser.conftest import serious, signed_in

WIDTHS = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PEOPLE = {"admin": demo.DEMO_ADMIN, "manager": demo.DEMO_MANAGER}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_triage_in_the_browser(browser, live, session, shots, who, width):
    demo.load(session, now=datetime.now(UTC), weeks=1)
    session.rollback()
    email, password = PEOPLE[who]
    with signed_in(browser, live, email, password, viewport=WIDTHS[width]) as page:
        page.goto(f"{live.url}/admin/comments")
        page.select_option("#f-order", "negative")
        page.click("form.filters button[type='submit']")
        page.wait_for_url("**order=negative**")
        assert "negative ratings first" in page.inner_text("table.comments-inbox caption")
        page.select_option("#f-side", "negative")
        page.click("form.filters button[type='submit']")
        page.wait_for_url("**side=negative**")
        rows = page.locator("table.comments-inbox tbody tr")
        assert rows.count() > 0
        assert serious(Axe().run(page)) == []
        codes = {c.split()[0] for c in page.locator("table.comments-inbox tbody td:nth-child(3)").all_inner_texts()}
        if who == "manager":
            assert codes <= {"HOU-C1", "HOU-C2", "HOU-C3"}

        # Follow the first one up: assigned to me, due date, note.
        first_text = rows.first.locator("blockquote").inner_text()
        rows.first.locator("a.case-link").click()
        page.wait_for_selector("h1:has-text('Follow up a comment')")
        assert page.inner_text(".case-comment blockquote") == first_text
        offered = page.locator("#assignee option").all_inner_texts()
        assert email in offered
        if who == "manager":  # only people who see Houston: the admin and this manager
            assert offered == ["No one", demo.DEMO_ADMIN[0], email]
        assert serious(Axe().run(page)) == []
        assert no_sideways_scroll(page)
        page.select_option("#assignee", label=email)
        page.fill("#due", "2026-12-04")
        page.fill("#note", "Call the visitor's counter lead")
        page.click("form.card button[type='submit']")
        page.wait_for_selector("p.flash:has-text('The follow-up was saved.')")
        assert "side=negative" in page.url

        page.click("a:has-text('Assigned to me')")
        page.wait_for_url("**assignee=me**")
        assert page.locator("table.comments-inbox tbody tr").count() == 1
        assert page.inner_text("table.comments-inbox tbody blockquote") == first_text
        assert "Call the visitor's counter lead" in page.inner_text("table.comments-inbox tbody")
        assert serious(Axe().run(page)) == []
        assert no_sideways_scroll(page)  # a narrow screen scrolls the table, not the page
        if (who, width) in (("admin", "desk"), ("manager", "phone")):  # the two in the README
            page.screenshot(path=str(shots / f"admin-triage-{who}-{width}.png"), full_page=width == "phone")

        page.click("a:has-text('Topics')")
        page.wait_for_selector("h1:has-text('Comment topics')")
        headings = page.locator("section.topics h2").all_inner_texts()
        assert headings
        if who == "manager":
            assert all(h.startswith("HOU-") for h in headings)
        else:
            assert any(h.startswith("NYC-") for h in headings)
        assert page.locator("section.topics ul.keywords a").count() > 0
        assert serious(Axe().run(page)) == []
        assert no_sideways_scroll(page)
        if who == "admin" and width == "desk":
            page.screenshot(path=str(shots / "admin-topics.png"))
        if who == "manager":  # another office's comment: not found
            session.rollback()
            other = session.scalar(
                select(Response.id)
                .join(Location, Location.id == Response.location_id)
                .where(Location.code == "NYC-W1", Response.comment.is_not(None))
                .limit(1)
            )
            answer = page.goto(f"{live.url}/admin/comments/{other}/case")
            assert answer.status == 404
        assert page.problems == []

    session.rollback()
    [case] = session.scalars(select(CommentCase)).all()
    assert case.note == "Call the visitor's counter lead" and case.due.isoformat() == "2026-12-04"
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "comment.case")) == 1
