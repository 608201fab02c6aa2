"""The phone survey stores the rating the moment it is chosen; the follow-up and comment update
that same response, with or without JavaScript, even after the page was closed and reopened."""

from __future__ import annotations

import uuid

import pytest

from feedback.database import write_transaction
from feedback.extensions import limiter
from feedback.services import survey_links
from tests.browser.conftest import PHONE
from tests.browser.kiosk_helpers import stored, wait_until


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test's phone posts from 127.0.0.1: start each with empty counters."""
    limiter.reset()


@pytest.fixture
def slug(session, build):
    survey = build.survey(
        scale="faces4", question={"en": "How was your visit today?", "es": "¿Cómo fue su visita hoy?"}
    )
    location = build.location(code="NYC-W3", survey=survey)
    with write_transaction(session):
        return survey_links.current_link(session, location).slug


@pytest.fixture
def phone_context(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    yield context
    context.close()


def _one(session, **expected):
    """Wait until exactly one stored response has ``expected``; return it."""

    def matches():
        rows = stored(session)
        return len(rows) == 1 and all(getattr(rows[0], k) == v for k, v in expected.items()) and rows[0]

    return wait_until(matches, timeout=10, message=f"one response with {expected}")


def test_a_tapped_face_is_stored_before_send_and_the_follow_up_updates_it(phone_context, session, live, slug):
    """Issue 10 item 3: a visitor who taps a face and closes the page is counted."""
    page = phone_context.new_page()
    page.goto(f"{live.url}/s/{slug}")
    form_id = page.get_attribute("input[name='id']", "value")
    page.tap("button.rate[value='3']")
    row = _one(session, rating=3, followup_chosen=[], comment=None)
    assert str(row.id) == form_id
    assert page.is_visible("#saved")  # the visitor is told the rating counts already
    page.check("fieldset.followup[data-side='positive'] input[value='ease']")
    page.fill("#comment", "Quick, thanks")
    page.tap("button[value='send']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    row = _one(session, rating=3, followup_chosen=["ease"], comment="Quick, thanks")
    assert str(row.id) == form_id and row.suspect is False


def test_closed_and_reopened_page_updates_the_same_response(phone_context, session, live, slug):
    page = phone_context.new_page()
    page.goto(f"{live.url}/s/{slug}")
    page.tap("button.rate[value='1']")
    first = _one(session, rating=1)
    page.close()  # the visitor closes the tab...

    page = phone_context.new_page()  # ...and opens the survey again from the QR code
    page.goto(f"{live.url}/s/{slug}")
    assert page.get_attribute("input[name='id']", "value") == str(first.id)
    assert page.get_attribute("button.rate[value='1']", "aria-pressed") == "true"
    assert page.is_visible("fieldset.followup[data-side='negative']")
    page.check("fieldset.followup[data-side='negative'] input[value='efficiency']")
    page.tap("button[value='send']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    row = _one(session, rating=1, followup_chosen=["efficiency"])
    assert row.id == first.id


def test_changing_the_face_updates_the_rating_and_drops_chips_of_the_other_side(phone_context, session, live, slug):
    page = phone_context.new_page()
    page.goto(f"{live.url}/s/{slug}")
    page.tap("button.rate[value='4']")
    _one(session, rating=4)
    page.check("fieldset.followup[data-side='positive'] input[value='employee']")
    page.tap("button.rate[value='2']")  # a mis-tap corrected: the stored rating follows
    _one(session, rating=2, followup_chosen=[])
    page.tap("button[value='skip']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    _one(session, rating=2, followup_chosen=[])


def test_skip_keeps_the_chips_already_chosen(phone_context, session, live, slug):
    """Issue 10 item 4 on the phone: Skip sends no more, and keeps what was chosen."""
    page = phone_context.new_page()
    page.goto(f"{live.url}/s/{slug}")
    page.tap("button.rate[value='2']")
    _one(session, rating=2)
    page.check("fieldset.followup[data-side='negative'] input[value='efficiency']")
    page.fill("#comment", "never mind")
    page.tap("button[value='skip']")
    page.wait_for_selector("h1:has-text('Thank you!')")
    _one(session, rating=2, followup_chosen=["efficiency"], comment=None)


def test_without_javascript_the_first_post_stores_and_the_details_update(browser, session, live, slug):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/s/{slug}")
        form_id = page.get_attribute("input[name='id']", "value")
        page.click("button.rate[value='4']")  # a plain form post
        page.wait_for_selector("text=What went well?")
        row = _one(session, rating=4, followup_chosen=[])
        assert row.id == uuid.UUID(form_id)
        page.check("input[value='humanity']")
        page.click("button[value='skip']")
        page.wait_for_selector("h1:has-text('Thank you!')")
        row = _one(session, rating=4, followup_chosen=["humanity"], comment=None)
        assert row.id == uuid.UUID(form_id)
    finally:
        context.close()
