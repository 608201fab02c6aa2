"""Shared helpers of the kiosk and phone browser tests: enrol a tablet, read what was stored, wait."""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Response
from tests.browser.conftest import enrolment_link
from tests.builders import add_device

QUESTION = "#screen-question:not([hidden])"
FOLLOWUP = "#screen-followup:not([hidden])"
THANKS = "#screen-thanks:not([hidden])"
IDLE = "#screen-idle:not([hidden])"

# The two ways a counter mounts a tablet.
ORIENTATIONS = {"landscape": {"width": 1280, "height": 800}, "portrait": {"width": 800, "height": 1280}}


def fresh(session):
    """Forget cached rows and end the transaction, to see what the server thread committed."""
    session.rollback()
    session.expire_all()
    return session


def stored(session) -> list[Response]:
    fresh(session)
    return list(session.scalars(select(Response).order_by(Response.client_time)))


def wait_until(predicate, timeout=20.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def wait_js(page, expression, timeout=15.0):
    """Poll a JS expression from Python (wait_for_function would need eval, which the CSP forbids)."""
    wait_until(lambda: page.evaluate(expression), timeout=timeout, message=expression)


def devices_enroll(session, location):
    with write_transaction(session):
        return add_device(session, location, "tablet")


def enrol(page, session, live, location):
    device, _token = devices_enroll(session, location)
    page.goto(enrolment_link(session, device, live.url))
    page.wait_for_url("**/kiosk")
    page.wait_for_selector(QUESTION)
    return device


def settle(page):
    """Wait until the kiosk takes input again after its last screen change (the input guard)."""
    wait_js(page, "document.getElementById('app').dataset.guard !== 'on'")


def tap(page, rating):
    click(page, f".rate[data-rating='{rating}']")


def wait_for_service_worker(page):
    wait_js(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null")


@contextmanager
def touch_tablet(browser, viewport, **options):
    """A tablet with a touch screen (Playwright's touch emulation), as a counter has."""
    context = browser.new_context(viewport=viewport, has_touch=True, **options)
    page = context.new_page()
    page.has_touch = True  # click() below taps
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


def centre(page, selector) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def touch(page, selector):
    """A finger on the middle of ``selector``."""
    page.touchscreen.tap(*centre(page, selector))


def click(page, selector):
    """A click (a touch on a touch screen) once the kiosk takes input again: sooner after a
    screen change, it would be ignored."""
    settle(page)
    if getattr(page, "has_touch", False):
        page.tap(selector)
    else:
        page.click(selector)


def press(page, key):
    """A key press once the kiosk takes input again."""
    settle(page)
    page.keyboard.press(key)
