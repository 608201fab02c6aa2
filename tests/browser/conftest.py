"""Browser fixtures: the app served on a real port, and headless Chromium via Playwright.

Chromium is Debian's (/usr/bin/chromium); `make test-browser` installs it.
A fault injector in front of the app can fail or stall the next requests, to
show the kiosk keeps its outbox through server trouble.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from feedback.database import write_transaction
from feedback.services import enrollment

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


class FaultInjector:
    """WSGI middleware: the next ``fail_next`` requests under ``prefix`` fail.

    ``mode="error"`` answers 500 at once; ``mode="stall"`` holds the request
    ``stall_seconds`` (past the kiosk's timeout) and then lets it through, so
    the server commits an answer the client never sees.
    """

    def __init__(self, app):
        self.app = app
        self.prefix = "/api/v1/responses"
        self.mode = "error"
        self.stall_seconds = 3.0
        self.fail_next = 0
        self.failed = 0
        self.lock = threading.Lock()

    def reset(self):
        with self.lock:
            self.fail_next = self.failed = 0
            self.mode = "error"

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.prefix):
            with self.lock:
                hit = self.fail_next > 0
                if hit:
                    self.fail_next -= 1
                    self.failed += 1
            if hit and self.mode == "error":
                start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/problem+json")])
                return [b'{"status": 500, "title": "Internal Server Error", "detail": "injected", "errors": {}}']
            if hit and self.mode == "stall":
                time.sleep(self.stall_seconds)
        return self.app(environ, start_response)


# Faster kiosk timing for the browser tests; set per test and restored after it.
LIVE_CONFIG = {
    "KIOSK_THANKS_SECONDS": 0.8,
    "KIOSK_CONFIG_REFRESH_SECONDS": 2,
    "KIOSK_HEARTBEAT_SECONDS": 1,
    "KIOSK_REQUEST_TIMEOUT_SECONDS": 2,
}


@pytest.fixture(scope="session")
def live_server(_app):
    injector = FaultInjector(_app.wsgi_app)
    _app.wsgi_app = injector
    server = make_server("127.0.0.1", 0, _app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.injector = injector
    yield server
    server.shutdown()
    _app.wsgi_app = injector.app


@pytest.fixture
def live(live_server, app, browser, monkeypatch):
    """The live server for one test, with a clean database, fast timing and no faults armed.

    Every browser context is closed before the database is cleaned: a kiosk page left open
    would otherwise post its queue while the tables are being emptied, and its rows would
    break the cleanup or leak into the next test."""
    for key, value in LIVE_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    live_server.injector.reset()
    yield live_server
    for context in browser.contexts:
        context.close()
    live_server.injector.reset()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test-browser`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=TABLET, service_workers="allow")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def enrolment_link(session, device, base_url: str) -> str:
    with write_transaction(session):
        _record, code = enrollment.create_code(session, device, ttl=timedelta(hours=1), now=datetime.now(UTC))
    return f"{base_url}/kiosk/enroll/{code}"


@contextmanager
def signed_in(browser, live, email: str, password: str, viewport: dict = DESK):
    """A page signed in to the admin site; ``page.problems`` collects CSP violations and script errors."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name='email']", email)
    page.fill("input[name='password']", password)
    page.click("button[type='submit']")
    page.wait_for_url(f"{live.url}/admin/")
    try:
        yield page
    finally:
        context.close()


def serious(results) -> list:
    """The serious and critical violations of an axe-core run, in a readable form."""
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: ``SCREENSHOT_DIR`` (``make screenshots``) or a temporary folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def kiosk_location(build):
    """A counter with the five faces, the six follow-up chips and a question in both languages."""
    survey = build.survey(
        scale="faces5",
        question={
            "en": "How satisfied are you with today's visit?",
            "es": "¿Qué tan satisfecho está con la visita de hoy?",
        },
    )
    return build.location(code="HOU-C1", survey=survey)
