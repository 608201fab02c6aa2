"""Screenshots of each kiosk screen at a tablet viewport.

`make screenshots` writes them to docs/screenshots/ (shown in the README);
a normal run writes them to a temporary folder, so the suite leaves the tree clean.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.browser.test_kiosk import FOLLOWUP, QUESTION, THANKS, enrol, tap


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_kiosk_screenshots(tablet, session, live, build, shots, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_THANKS_SECONDS", 30)
    survey = build.survey(
        scale="faces5",
        question={"en": "How satisfied are you with the service you received today?",
                  "es": "¿Qué tan satisfecho está con el servicio que recibió hoy?"},
        omb_control_number="0000-0000", omb_expiration=date(2027, 12, 31),
        burden_statement="A federal agency may not conduct or sponsor an information collection unless it "
                         "displays a valid OMB control number.",
    )
    location = build.location(code="NYC-W1", survey=survey)
    enrol(tablet, session, live, location)
    tablet.wait_for_timeout(300)
    names = []

    def snap(name):
        path = shots / f"kiosk-{name}.png"
        tablet.screenshot(path=str(path))
        names.append(path)

    snap("question")
    tap(tablet, 2)
    tablet.wait_for_selector(FOLLOWUP)
    tablet.click(".chip[data-choice='efficiency']")
    snap("followup")
    tablet.click("#followup-done")
    tablet.wait_for_selector(THANKS)
    snap("thanks")
    tablet.evaluate("() => { location.reload(); }")
    tablet.wait_for_selector(QUESTION)
    tablet.click("button.lang[lang='es']")
    tablet.wait_for_timeout(200)
    snap("question-es")
    tablet.goto(f"{live.url}/kiosk")
    tablet.evaluate("() => localStorage.clear()")
    tablet.reload()
    tablet.wait_for_selector("#screen-unenrolled:not([hidden])")
    snap("unenrolled")
    assert all(path.stat().st_size > 10_000 for path in names)
