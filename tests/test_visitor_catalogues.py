"""Issue 17: every visitor-facing string is translated in every shipped visitor language (the kiosk's
and phone's texts, the scales and follow-up chips, the phone and visitor error templates), and the
language helpers give each page its ``lang`` and ``dir``."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from feedback.i18n import LANGUAGES, VISITOR_TEXT, html_lang, offered, text_direction
from feedback.scales import DRIVER_LABELS, SCALES
from feedback.services.kiosk_config import BOOT_TEXT, KIOSK_TEXT
from feedback.services.surveys import DEFAULT_QUESTION, MORE_LANGUAGES, survey_fields

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = {"zh": "zh", "vi": "vi", "ko": "ko", "tl": "fil", "ar": "ar"}  # Tagalog: Babel's "fil"
TEMPLATES = [
    *sorted((ROOT / "kiosk_app/templates/phone").glob("*.html")),
    ROOT / "feedback/templates/errors/visitor.html",
    ROOT / "feedback/templates/errors/_visitor_section.html",
]


def visitor_msgids() -> set[str]:
    ids = set(VISITOR_TEXT.values()) | set(KIOSK_TEXT.values()) | set(BOOT_TEXT.values())
    ids |= {label for scale in SCALES.values() for label in scale.labels}
    ids |= {label for pair in DRIVER_LABELS.values() for label in pair}
    for path in TEMPLATES:
        for _line, message, _comments, _context in extract_from_file("jinja2", str(path)):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_visitor_string_is_translated(code):
    with (ROOT / f"feedback/translations/{CATALOGUE[code]}/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(po)
    wanted = visitor_msgids()
    assert len(wanted) > 60
    missing = sorted(m for m in wanted if not (catalogue.get(m) and catalogue.get(m).string))
    assert missing == []
    for message in wanted:  # placeholders survive the translation
        for name in ("{seconds}", "{label}", "{position}", "{total}", "{queued}", "{count}", "%(office)s"):
            assert (name in message) == (name in catalogue.get(message).string), (code, message)


def test_the_default_question_is_in_every_language():
    assert set(DEFAULT_QUESTION) == set(LANGUAGES)


def test_lang_and_dir():
    assert [html_lang(code) for code in LANGUAGES] == ["en", "es", "zh-Hans", "vi", "ko", "tl", "ar"]
    assert [code for code in LANGUAGES if text_direction(code) == "rtl"] == ["ar"]


def test_an_offices_languages():
    assert offered(None) == LANGUAGES  # not chosen: every one
    assert offered(["ar", "ko", "xx"]) == ("en", "ko", "ar")  # English always, in the usual order


def test_survey_texts_in_the_other_languages():
    fields = survey_fields(
        scale="thumbs", question_en="Did we help?", question_ko=" 도움이 되었나요? ", labels_ko="아니요\n네"
    )
    assert fields.questions() == {"en": "Did we help?", "ko": "도움이 되었나요?"}
    assert fields.label_lines() == {"ko": ["아니요", "네"]}
    assert set(MORE_LANGUAGES) == {"zh", "vi", "ko", "tl", "ar"}
    with pytest.raises(TypeError):
        survey_fields(scale="thumbs", question_en="Did we help?", question_xx="?")
