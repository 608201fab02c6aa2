"""The kiosk's audio mode (Section 508 §402): a visitor who cannot see the screen starts it
with the help key or the Audio button, hears each screen, moves with the arrows and chooses
with Enter. What is spoken is recorded from ``speechSynthesis.speak``, in order, with its language."""

from __future__ import annotations

import pytest

from tests.browser.conftest import TABLET
from tests.browser.kiosk_helpers import FOLLOWUP, QUESTION, THANKS, click, enrol, press, settle, stored, wait_until

# Runs before the kiosk's scripts on every load: speech is recorded, and each utterance "ends".
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) {
  speechSynthesis.speak = (u) => {
    window.__spoken.push({text: u.text, lang: u.lang});
    setTimeout(() => u.onend && u.onend(), 10);
  };
  speechSynthesis.cancel = () => {};
}
"""

TEXTS = {
    "en": {
        "on": "Audio guide on.",
        "question": "How satisfied are you with today's visit?",
        "help": "Use the up and down arrows to hear the answers, and Enter to choose one. "
        "Press the help key to hear this again.",
        "faces": ["Very satisfied, 1 of 5", "Satisfied, 2 of 5"],
        "title": "What went well?",
        "hint": "Choose any that apply.",
        "followup_help": "Use the up and down arrows to move, and Enter to tick or untick an answer. "
        "Choose Done when you have finished.",
        "chip": ["I got what I needed, not ticked", "I got what I needed, ticked"],
        "done": ["Skip", "Done"],
        "thanks": ["Thank you!", "Your feedback helps us improve."],
    },
    "es": {
        "on": "Guía de audio activada.",
        "question": "¿Qué tan satisfecho está con la visita de hoy?",
        "help": "Use las flechas arriba y abajo para escuchar las respuestas, y Entrar para elegir una. "
        "Pulse la tecla de ayuda para volver a escuchar esto.",
        "faces": ["Muy satisfecho, 1 de 5", "Satisfecho, 2 de 5"],
        "title": "¿Qué salió bien?",
        "hint": "Elija todas las que correspondan.",
        "followup_help": "Use las flechas arriba y abajo para moverse, y Entrar para marcar o desmarcar una "
        "respuesta. Elija Listo cuando haya terminado.",
        "chip": ["Obtuve lo que necesitaba, sin marcar", "Obtuve lo que necesitaba, marcada"],
        "done": ["Omitir", "Listo"],
        "thanks": ["¡Gracias!", "Su opinión nos ayuda a mejorar."],
    },
}


@pytest.fixture
def listener(browser):
    context = browser.new_context(viewport=TABLET)
    context.add_init_script(script=RECORD_SPEECH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def spoken(page) -> list[str]:
    return [entry["text"] for entry in page.evaluate("window.__spoken")]


def said_after(page, mark: int, *lines: str):
    """Wait until ``lines`` were spoken, in order, right after the first ``mark`` utterances."""
    want = list(lines)
    wait_until(
        lambda: spoken(page)[mark : mark + len(want)] == want,
        timeout=5,
        message=f"{want} after {spoken(page)[:mark]}: {spoken(page)[mark:]}",
    )
    return mark + len(want)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_visitor_who_cannot_see_the_screen_rates_and_answers_the_follow_up(
    listener, session, live, kiosk_location, lang
):
    page, t = listener, TEXTS[lang]
    enrol(page, session, live, kiosk_location)
    if lang == "es":
        click(page, "button.lang[lang='es']")
    assert spoken(page) == []  # silent until asked
    press(page, "?")  # the keypad's help key starts the audio mode
    n = said_after(page, 0, t["on"], t["question"], t["help"])
    assert page.get_attribute("#audio", "aria-pressed") == "true"
    page.keyboard.press("ArrowDown")
    n = said_after(page, n, t["faces"][0])
    page.keyboard.press("ArrowDown")
    n = said_after(page, n, t["faces"][1])
    page.keyboard.press("h")  # help again: the instructions are repeated
    n = said_after(page, n, t["question"], t["help"])
    page.keyboard.press("Enter")  # chooses "Satisfied"
    page.wait_for_selector(FOLLOWUP)
    n = said_after(page, n, t["title"], t["hint"], t["followup_help"])
    settle(page)
    page.keyboard.press("ArrowDown")
    n = said_after(page, n, t["chip"][0])
    page.keyboard.press("Enter")
    n = said_after(page, n, t["chip"][1])
    page.keyboard.press("ArrowUp")  # from the first chip back round to Skip, then Done
    page.keyboard.press("ArrowUp")
    n = said_after(page, n, *t["done"])
    page.keyboard.press("Enter")
    page.wait_for_selector(THANKS)
    n = said_after(page, n, *t["thanks"])
    page.wait_for_selector(QUESTION)  # the next visitor: default language, audio off
    assert page.get_attribute("#audio", "aria-pressed") == "false"
    assert page.get_attribute("html", "lang") == "en"
    assert len(spoken(page)) == n, spoken(page)[n:]

    langs = {entry["lang"] for entry in page.evaluate("window.__spoken")}
    assert langs == {"en-US" if lang == "en" else "es-US"}
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen, row.language) == (4, ["effectiveness"], lang)
    assert page.errors == []


def test_the_audio_button_starts_and_stops_the_mode(listener, session, live, kiosk_location):
    page, t = listener, TEXTS["en"]
    enrol(page, session, live, kiosk_location)
    assert page.is_visible("#audio") and page.inner_text("#audio") == "Audio"
    click(page, "#audio")
    said_after(page, 0, t["on"], t["question"], t["help"])
    assert page.get_attribute("#audio", "aria-pressed") == "true"
    # Each language is announced in its own voice when the visitor moves to it.
    for _ in range(7):  # past the five faces and English
        page.keyboard.press("ArrowDown")
    wait_until(lambda: {"text": "Español", "lang": "es-US"} in page.evaluate("window.__spoken"), message="Español")
    click(page, "#audio")
    assert page.get_attribute("#audio", "aria-pressed") == "false"


def test_audio_mode_gives_a_listener_more_time_and_says_it_is_running_out(
    listener, session, live, kiosk_location, app, monkeypatch
):
    monkeypatch.setitem(app.config, "KIOSK_FOLLOWUP_SECONDS", 1)
    page = listener
    enrol(page, session, live, kiosk_location)
    press(page, "?")
    press(page, "5")  # the button box's best rating
    page.wait_for_selector(FOLLOWUP)
    wait_until(lambda: any("seconds left" in line for line in spoken(page)), timeout=4, message="the warning")
    page.wait_for_timeout(1200)  # longer than the 1 s a reader gets
    assert page.evaluate("document.getElementById('app').dataset.state") == "followup"
    page.wait_for_selector(THANKS, timeout=5000)
