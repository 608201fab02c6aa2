"""A kiosk answered with keys: a USB button box that types the rating's digit (1 = worst .. N =
best), and a keyboard-only visitor. Same guard, same outbox, same thank-you as a tap."""

from __future__ import annotations

import pytest

from feedback.scales import SCALES
from tests.browser.kiosk_helpers import FOLLOWUP, IDLE, QUESTION, THANKS, enrol, press, settle, stored, wait_until

STATE = "document.getElementById('app').dataset.state"


def _ratings(session, count):
    rows = wait_until(lambda: len(stored(session)) >= count and stored(session), message=f"{count} responses")
    return [row.rating for row in rows]


@pytest.mark.parametrize("scale", SCALES)
def test_each_digit_of_the_button_box_is_its_rating(tablet, session, live, build, scale):
    points = SCALES[scale].points
    enrol(tablet, session, live, build.location(code=f"KEYS-{scale}", scale=scale, followup=()))
    for digit in range(1, points + 1):
        press(tablet, str(digit))
        tablet.wait_for_selector(THANKS)
        tablet.wait_for_selector(QUESTION)
    for other in (str(points + 1), "0", "a"):  # not a rating of this scale: nothing happens
        press(tablet, other)
        tablet.wait_for_timeout(150)
        assert tablet.evaluate(STATE) == "question"
    assert _ratings(session, points) == list(range(1, points + 1))
    tablet.wait_for_timeout(500)
    assert len(stored(session)) == points
    assert tablet.errors == []


def test_a_bouncing_or_held_button_answers_once(tablet, session, live, build):
    enrol(tablet, session, live, build.location(code="KEYS-BOUNCE", followup=()))
    settle(tablet)
    tablet.keyboard.press("3")
    tablet.keyboard.press("3")  # a bounce, a few ms later: the screen changed in between
    tablet.wait_for_selector(THANKS)
    tablet.wait_for_selector(QUESTION)
    settle(tablet)
    tablet.keyboard.down("4")  # held: the key repeats
    for _ in range(5):
        tablet.keyboard.down("4")
    tablet.keyboard.up("4")
    tablet.wait_for_selector(THANKS)
    tablet.wait_for_selector(QUESTION)
    tablet.wait_for_timeout(500)
    assert _ratings(session, 2) == [3, 4]
    assert len(stored(session)) == 2


def test_the_button_box_answers_the_idle_screen_directly(tablet, session, live, kiosk_location, app, monkeypatch):
    """A digit means one rating whatever the screen shows; any other key only wakes the kiosk."""
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 1)
    enrol(tablet, session, live, kiosk_location)
    tablet.wait_for_selector(IDLE, timeout=6000)
    press(tablet, "Enter")
    tablet.wait_for_selector(QUESTION)
    tablet.wait_for_timeout(300)
    assert tablet.evaluate(STATE) == "question" and stored(session) == []
    tablet.wait_for_selector(IDLE, timeout=6000)
    press(tablet, "2")
    tablet.wait_for_selector(FOLLOWUP)
    press(tablet, "Enter")  # Done has the focus
    tablet.wait_for_selector(THANKS)
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen) == (2, [])


def test_a_keyboard_only_visitor_rates_and_answers_the_follow_up(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    press(tablet, "2")
    tablet.wait_for_selector(FOLLOWUP)
    assert tablet.evaluate("document.activeElement.id") == "followup-done"
    press(tablet, "ArrowUp")  # Done -> the last chip
    assert tablet.evaluate("document.activeElement.dataset.choice") == "employee"
    press(tablet, "ArrowUp")
    press(tablet, "Enter")  # ticks "humanity"
    press(tablet, "ArrowUp")
    press(tablet, "Space")  # ticks "transparency"
    press(tablet, "Space")  # ... and unticks it
    assert tablet.get_attribute(".chip[data-choice='humanity']", "aria-pressed") == "true"
    for _ in range(3):
        tablet.keyboard.press("ArrowDown")  # humanity, employee, Done
    assert tablet.evaluate("document.activeElement.id") == "followup-done"
    press(tablet, "Enter")
    tablet.wait_for_selector(THANKS)
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen) == (2, ["humanity"])
    tablet.wait_for_timeout(500)
    assert len(stored(session)) == 1
