"""Issue 17 in Chromium: every shipped visitor language on the kiosk and the phone survey (no
English sentence left, no label wider than its button, ``lang`` and ``dir`` set, axe clean), and
the kiosk's audio mode speaking each language in its own voice."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from axe_playwright_python.sync_playwright import Axe

from feedback.database import write_transaction
from feedback.i18n import LANGUAGE_NAMES
from feedback.services import survey_links
from feedback.services.surveys import DEFAULT_QUESTION
from tests.browser.conftest import PHONE, TABLET, serious
from tests.browser.kiosk_helpers import FOLLOWUP, QUESTION, THANKS, click, enrol, press, settle, tap, wait_until

SHIPPED = {"zh": "zh-Hans", "vi": "vi", "ko": "ko", "tl": "tl", "ar": "ar"}
DIRECTION = {"ar": "rtl"}
# The same word in English and in the language: Tagalog says "Audio" too.
SHARED = {"tl": {"Audio"}}
VOICE = {"zh": "zh-CN", "vi": "vi-VN", "ko": "ko-KR", "tl": "fil-PH", "ar": "ar-SA"}

# What a visitor sees: the phone's honeypot field (for robots, off screen) left out.
VISIBLE_LINES = """() => {
  const traps = [...document.querySelectorAll(".honeypot")];
  traps.forEach((t) => { t.hidden = true; });
  const text = document.body.innerText;
  traps.forEach((t) => { t.hidden = false; });
  return text.split("\\n").map((s) => s.trim()).filter(Boolean);
}"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
OVERFLOWING = """() => [...document.querySelectorAll("button, a.lang")]
  .filter((b) => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)
  .map((b) => b.textContent.trim())"""

# The kiosk's speech, recorded: Chromium here lists no voices (no speech service), so the page is
# given some, as a device with voices would list them, Tagalog's left out: each language that has
# a voice must be said in it, and the one without must not borrow another language's.
VOICES = {"zh": "Mandarin", "vi": "Vietnamese", "ko": "Korean", "ar": "Arabic"}
RECORD_SPEECH = """
window.__spoken = [];
const voices = [
  {lang: "en-US", name: "English", localService: true},
  {lang: "cmn-CN", name: "Mandarin", localService: true},
  {lang: "vi-VN", name: "Vietnamese", localService: true},
  {lang: "ko-KR", name: "Korean", localService: true},
  {lang: "ar-SA", name: "Arabic", localService: false},
];
// A plain utterance: Chromium's own refuses a voice that is not one of its SpeechSynthesisVoice.
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ""; this.voice = null; } };
const synth = window.speechSynthesis || {};
Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
synth.getVoices = () => voices;
synth.speak = (u) => {
  window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice ? u.voice.name : null});
  setTimeout(() => u.onend && u.onend(), 10);
};
synth.cancel = () => {};
"""


# fontconfig's name of each shipped language's script needs.
FONT_LANG = {"zh": "zh-cn", "vi": "vi", "ko": "ko", "tl": "tl", "ar": "ar"}


@pytest.fixture(scope="module", autouse=True)
def _fonts_for_every_language():
    """Without a font for a script Chromium draws empty boxes of a fixed width, and a label that
    would overflow its button in real glyphs passes: the checks below need the fonts (``make
    chromium`` installs them), so their absence fails here rather than weakening them."""
    assert shutil.which("fc-list"), "fontconfig's fc-list is missing: run make chromium"
    missing = [
        code
        for code, fc in FONT_LANG.items()
        if not subprocess.run(["fc-list", f":lang={fc}", "family"], capture_output=True, text=True).stdout.strip()
    ]
    assert missing == [], f"no font for {missing}: run make chromium"


@pytest.fixture
def every_language_location(build):
    return build.location(code="LNG-K1", survey=build.survey(scale="faces5", question=DEFAULT_QUESTION))


def lines(page) -> set[str]:
    return set(page.evaluate(VISIBLE_LINES))


def untranslated(page, english: set[str], code: str) -> set[str]:
    """English lines still shown in ``code``: language names (each in its own language) aside."""
    return (lines(page) & english) - set(LANGUAGE_NAMES.values()) - SHARED.get(code, set())


def assert_page_language(page, code: str):
    assert page.get_attribute("html", "lang") == SHIPPED[code]
    assert page.get_attribute("html", "dir") == DIRECTION.get(code, "ltr")


def test_every_language_on_the_kiosk(browser, session, live, every_language_location, app, monkeypatch, shots):
    monkeypatch.setitem(app.config, "KIOSK_THANKS_SECONDS", 1.5)
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    axe = Axe()
    try:
        enrol(page, session, live, every_language_location)
        english = lines(page)
        tap(page, 5)
        page.wait_for_selector(FOLLOWUP)
        english |= lines(page)
        click(page, "#followup-skip")
        page.wait_for_selector(THANKS)
        english |= lines(page)
        page.wait_for_selector(QUESTION)
        assert "What went well?" in english and "Tap here to tell us" not in english

        for code, tag in SHIPPED.items():
            button = f"button.lang[data-code='{code}']"
            assert page.get_attribute(button, "lang") == tag
            click(page, button)
            wait_until(lambda tag=tag: page.get_attribute("html", "lang") == tag, message=f"{code} chosen")
            assert_page_language(page, code)
            assert page.inner_text("#question") == DEFAULT_QUESTION[code]
            assert untranslated(page, english, code) == set(), (code, "question")
            assert page.evaluate(OVERFLOWING) == [], (code, "question")
            assert page.evaluate(NO_SIDEWAYS_SCROLL), (code, "question")
            assert serious(axe.run(page)) == [], (code, "question")
            if code == "ar":  # right to left: the README shows it
                page.screenshot(path=str(shots / "kiosk-question-ar.png"))

            tap(page, 5)
            page.wait_for_selector(FOLLOWUP)
            settle(page)
            assert untranslated(page, english, code) == set(), (code, "follow-up")
            assert page.evaluate(OVERFLOWING) == [], (code, "follow-up")
            assert serious(axe.run(page)) == [], (code, "follow-up")
            if code == "ar":
                page.screenshot(path=str(shots / "kiosk-followup-ar.png"))

            click(page, "#followup-skip")
            page.wait_for_selector(THANKS)
            assert untranslated(page, english, code) == set(), (code, "thanks")
            assert_page_language(page, code)
            page.wait_for_selector(QUESTION)  # the next visitor: English again
            wait_until(lambda: page.get_attribute("html", "lang") == "en", message="back to English")
            assert page.get_attribute("html", "dir") == "ltr"
        assert errors == []
    finally:
        context.close()


def test_every_language_on_the_phone(browser, session, live, every_language_location, shots):
    with write_transaction(session):
        slug = survey_links.current_link(session, every_language_location).slug
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    page = context.new_page()
    axe = Axe()
    try:
        page.goto(f"{live.url}/s/{slug}")
        english = lines(page)
        page.click("button.rate[value='4']")
        page.wait_for_selector("#details:not([hidden])")
        english |= lines(page)
        page.goto(f"{live.url}/s/{slug}/thanks")
        english |= lines(page)
        offered = [page.get_attribute(f"a.lang >> nth={n}", "lang") for n in range(page.locator("a.lang").count())]
        assert offered == []  # the thank-you page has no language list
        page.goto(f"{live.url}/s/{slug}")
        assert page.locator("a.lang").count() == 7
        location = every_language_location
        english -= {f"{location.office.name} · {location.name}", location.office.name}  # names, not words

        for code in SHIPPED:
            page.context.clear_cookies()  # a new visitor each time (no answer to continue)
            page.goto(f"{live.url}/s/{slug}?lang={code}")
            assert_page_language(page, code)
            assert page.inner_text("h1") == DEFAULT_QUESTION[code]
            assert untranslated(page, english, code) == set(), (code, "survey")
            assert page.evaluate(OVERFLOWING) == [], (code, "survey")
            assert page.evaluate(NO_SIDEWAYS_SCROLL), (code, "survey")
            assert serious(axe.run(page)) == [], (code, "survey")
            page.click("button.rate[value='4']")
            page.wait_for_selector("#details:not([hidden])")
            assert untranslated(page, english, code) == set(), (code, "details")
            assert page.evaluate(OVERFLOWING) == [], (code, "details")
            assert serious(axe.run(page)) == [], (code, "details")
            if code in ("ar", "vi"):
                page.screenshot(path=str(shots / f"phone-details-{code}.png"), full_page=True)
            page.goto(f"{live.url}/s/{slug}/thanks?lang={code}")
            assert_page_language(page, code)
            assert untranslated(page, english, code) == set(), (code, "thanks")

        # The browser's language decides when the visitor has not chosen.
        korean = browser.new_context(viewport=PHONE, locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
        try:
            other = korean.new_page()
            other.goto(f"{live.url}/s/{slug}")
            assert other.get_attribute("html", "lang") == "ko"
        finally:
            korean.close()
    finally:
        context.close()


def test_the_audio_mode_speaks_each_language_in_its_voice(browser, session, live, every_language_location):
    context = browser.new_context(viewport=TABLET)
    context.add_init_script(script=RECORD_SPEECH)
    page = context.new_page()
    try:
        enrol(page, session, live, every_language_location)
        config = page.evaluate("() => JSON.parse(localStorage.getItem('kiosk.config'))")
        for code in SHIPPED:
            click(page, f"button.lang[data-code='{code}']")
            mark = len(page.evaluate("window.__spoken"))
            press(page, "?")  # the help key starts the audio mode, in the chosen language
            wait_until(lambda mark=mark: len(page.evaluate("window.__spoken")) >= mark + 3, timeout=5, message=code)
            said = page.evaluate("window.__spoken")[mark : mark + 3]
            # Each utterance names the language and, where a voice speaks it, is said in that voice.
            assert {entry["lang"] for entry in said} == {VOICE[code]}, (code, said)
            assert {entry["voice"] for entry in said} == {VOICES.get(code)}, (code, said)
            assert said[1]["text"] == DEFAULT_QUESTION[code]
            assert said[0]["text"] == config["text"][code]["audio_on"] != "Audio guide on."
            click(page, "#audio")  # off again before the next language
            wait_until(lambda: page.get_attribute("#audio", "aria-pressed") == "false", message="audio off")
    finally:
        context.close()
