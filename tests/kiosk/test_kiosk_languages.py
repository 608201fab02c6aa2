"""Issue 17: the kiosk offers its office's visitor languages that its survey has a question in,
each with its own wording, ``lang`` tag and text direction."""

from __future__ import annotations

from feedback.database import write_transaction
from feedback.i18n import LANGUAGES
from feedback.services.surveys import DEFAULT_QUESTION
from tests.builders import auth

SHIPPED = ("zh", "vi", "ko", "tl", "ar")


def config(client, token) -> dict:
    response = client.get("/api/v1/kiosk/config", headers=auth(token))
    assert response.status_code == 200
    return response.get_json()


def test_every_language_with_the_default_survey(client, build):
    _, token = build.device(question=DEFAULT_QUESTION)
    body = config(client, token)
    assert body["languages"] == list(LANGUAGES)
    english = body["text"]["en"]
    for code in SHIPPED:
        text = body["text"][code]
        assert text["question"] == DEFAULT_QUESTION[code]
        # Every visitor string of the catalogue is translated (placeholders and names aside).
        same = [k for k, v in text.items() if v == english[k] and k not in ("labels", "choices", "dir")]
        assert set(same) <= {"omb_control_number", "audio"}, (code, same)  # Tagalog says both as English
        assert text["labels"] != english["labels"]
        assert text["choices"]["negative"] != english["choices"]["negative"]
    assert body["text"]["zh"]["html_lang"] == "zh-Hans" and body["text"]["zh"]["dir"] == "ltr"
    assert body["text"]["ar"]["dir"] == "rtl" and body["text"]["ar"]["html_lang"] == "ar"
    assert body["text"]["tl"]["thanks"] == "Salamat po!"


def test_a_language_without_the_surveys_question_is_not_offered(client, build):
    _, token = build.device(question={"en": "Did we help?", "es": "¿Le ayudamos?", "ko": "도움이 되었나요?"})
    body = config(client, token)
    assert body["languages"] == ["en", "es", "ko"]
    assert set(body["text"]) == {"en", "es", "ko"}


def test_the_offices_choice_limits_the_languages(client, build, session):
    device, token = build.device(question=DEFAULT_QUESTION)
    with write_transaction(session):
        device.location.office.visitor_languages = ["en", "vi", "ar"]
    body = config(client, token)
    assert body["languages"] == ["en", "vi", "ar"]
