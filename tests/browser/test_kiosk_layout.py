"""Kiosk layout at every tablet size a counter uses, in both languages and on every scale.

Measured in Chromium with element geometry: every label's text lies inside its button,
every button inside the screen, in portrait and landscape from 600 to 1366 px wide.
"""

from __future__ import annotations

import pytest

from feedback.scales import SCALES
from tests.browser.kiosk_helpers import FOLLOWUP, ORIENTATIONS, QUESTION, THANKS, click, enrol, touch_tablet

VIEWPORTS = [
    (600, 960),
    (768, 1024),
    (800, 1280),
    (1024, 1366),
    (1024, 600),
    (1280, 800),
    (1366, 768),
]

# Each box of ``selector`` with the boxes of its text lines, and the viewport, from the page.
MEASURE = """(selector) => {
  const box = (r) => ({x: r.left, y: r.top, r: r.right, b: r.bottom});
  return {
    vw: innerWidth, vh: innerHeight,
    items: [...document.querySelectorAll(selector)].map((el) => {
      const label = el.querySelector('.label') || el;
      const range = document.createRange();
      range.selectNodeContents(label);
      return {
        text: label.textContent.trim(),
        box: box(el.getBoundingClientRect()),
        lines: [...range.getClientRects()].map(box),
      };
    }),
  };
}"""


def _problems(measured) -> list[str]:
    """Text outside its button, or a button outside the screen (1 px of rounding allowed)."""
    out = []
    vw, vh = measured["vw"], measured["vh"]
    for item in measured["items"]:
        box = item["box"]
        if box["x"] < -1 or box["y"] < -1 or box["r"] > vw + 1 or box["b"] > vh + 1:
            out.append(f"{item['text']!r} button {box} leaves the {vw}x{vh} screen")
        for line in item["lines"]:
            if (
                line["x"] < box["x"] - 1
                or line["r"] > box["r"] + 1
                or line["y"] < box["y"] - 1
                or line["b"] > box["b"] + 1
            ):
                out.append(f"{item['text']!r} text {line} spills out of its button {box}")
    return out


@pytest.mark.parametrize("scale", SCALES)
def test_every_label_fits_its_button_at_every_size_and_language(tablet, session, live, build, scale):
    location = build.location(code=f"FIT-{scale}", scale=scale)
    enrol(tablet, session, live, location)
    problems = []
    for width, height in VIEWPORTS:
        tablet.set_viewport_size({"width": width, "height": height})
        for lang in ("en", "es"):
            click(tablet, f"button.lang[lang='{lang}']")
            tablet.wait_for_timeout(50)
            measured = tablet.evaluate(MEASURE, ".rate")
            assert len(measured["items"]) == SCALES[scale].points
            problems += [f"{width}x{height} {lang}: {p}" for p in _problems(measured)]
            if height > width:  # portrait: the faces use the height, not a thin strip of it
                rows = [item["box"] for item in measured["items"]]
                tall = max(b["b"] for b in rows) - min(b["y"] for b in rows)
                if tall < 0.35 * height:
                    problems.append(f"{width}x{height} {lang}: the scale is only {tall:.0f} px tall")
    assert problems == []


@pytest.fixture
def tablet(browser):
    """A landscape tablet with a touch screen: every tap below is a touch (page.tap, touchscreen.tap)."""
    with touch_tablet(browser, ORIENTATIONS["landscape"]) as page:
        yield page


def test_follow_up_fits_every_size_in_both_languages(tablet, session, live, build, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_THANKS_SECONDS", 0.3)
    enrol(tablet, session, live, build.location(code="FIT-FOLLOWUP"))
    problems = []
    for width, height in VIEWPORTS:
        tablet.set_viewport_size({"width": width, "height": height})
        for lang in ("en", "es"):
            click(tablet, f"button.lang[lang='{lang}']")
            click(tablet, ".rate[data-rating='1']")  # the longer, negative wording
            tablet.wait_for_selector(FOLLOWUP)
            measured = tablet.evaluate(MEASURE, "#screen-followup .chip, #screen-followup .action")
            problems += [f"{width}x{height} {lang}: {p}" for p in _problems(measured)]
            click(tablet, "#followup-done")
            tablet.wait_for_selector(THANKS)
            tablet.wait_for_selector(QUESTION)
    assert problems == []
