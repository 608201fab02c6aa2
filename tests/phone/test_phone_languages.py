"""Issue 17: the phone survey follows the browser among the location's visitor languages, offers
that list, and lays Arabic out right to left."""

from __future__ import annotations

import re

import pytest

from feedback.database import write_transaction
from feedback.services.surveys import DEFAULT_QUESTION
from tests.phone.helpers import open_survey, slug_for, stored


@pytest.fixture
def location(build, office):
    return build.location(office=office, question=DEFAULT_QUESTION)


def page(client, slug, language: str, query: str = "") -> str:
    response = client.get(f"/s/{slug}{query}", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def offered(html: str) -> list[str]:
    return re.findall(r'<a class="lang" lang="([^"]+)"', html)


@pytest.mark.parametrize(
    ("accept", "tag", "direction", "question", "label"),
    [
        ("zh-CN,zh;q=0.9", "zh-Hans", "ltr", DEFAULT_QUESTION["zh"], "非常满意"),
        ("vi-VN,vi;q=0.9", "vi", "ltr", DEFAULT_QUESTION["vi"], "Rất hài lòng"),
        ("ko-KR,ko;q=0.9", "ko", "ltr", DEFAULT_QUESTION["ko"], "매우 만족"),
        ("tl,fil;q=0.9", "tl", "ltr", DEFAULT_QUESTION["tl"], "Lubhang nasiyahan"),
        ("ar-EG,ar;q=0.9", "ar", "rtl", DEFAULT_QUESTION["ar"], "راضٍ جدًا"),
    ],
)
def test_the_page_follows_the_browser(client, slug, accept, tag, direction, question, label):
    html = page(client, slug, accept)
    assert f'<html lang="{tag}" dir="{direction}">' in html
    assert question in html and label in html
    assert "Very satisfied" not in html and "How did we do today?" not in html
    assert offered(html) == ["en", "es", "zh-Hans", "vi", "ko", "tl", "ar"]
    assert open_survey(client, slug, headers={"Accept-Language": accept})["lang"] == tag.split("-")[0]


def test_only_the_offices_languages_are_offered(client, slug, location, session):
    with write_transaction(session):
        location.office.visitor_languages = ["en", "ko"]
    html = page(client, slug, "ar,ko;q=0.5")
    assert offered(html) == ["en", "ko"]
    assert '<html lang="ko" dir="ltr">' in html  # Arabic is not offered here: the next choice
    assert '<html lang="en" dir="ltr">' in page(client, slug, "vi")
    assert '<html lang="en" dir="ltr">' in page(client, slug, "en", "?lang=vi")  # nor by asking


def test_a_language_without_the_surveys_question_is_not_offered(client, build, office, session):
    location = build.location(office=office, question={"en": "Did we help?", "vi": "Chúng tôi có giúp được không?"})
    slug = slug_for(session, location)
    assert offered(page(client, slug, "en")) == ["en", "vi"]
    assert '<html lang="en" dir="ltr">' in page(client, slug, "ko")


def test_an_arabic_answer_is_stored_in_arabic(client, slug):
    fields = open_survey(client, slug, headers={"Accept-Language": "ar"})
    response = client.post(
        f"/s/{slug}", data={**fields, "rating": "5", "step": "rate"}, headers={"Accept-Language": "ar"}
    )
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.get_data(as_text=True)
    assert [row["language"] for row in stored()] == ["ar"]
