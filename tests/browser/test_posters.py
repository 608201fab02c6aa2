"""Counter posters printed by Chromium (issue 17): a counter that offers all seven visitor
languages still prints on one sheet of A4 and of US Letter, each language in its own script."""

from __future__ import annotations

import re

import pytest

from feedback.database import write_transaction
from feedback.i18n import LANGUAGES
from feedback.services.surveys import DEFAULT_QUESTION
from tests.browser.conftest import signed_in
from tests.builders import add_user

PASSWORD = "poster-admin-password"


@pytest.fixture
def seven_languages(session, build):
    office = build.office(name="Houston Passport Agency", tz="America/Chicago")
    location = build.location(code="HOU-P1", office=office, survey=build.survey(question=DEFAULT_QUESTION))
    with write_transaction(session):
        add_user(session, "poster-admin@example.gov", PASSWORD, "admin")
    return location


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_seven_language_poster_prints_on_one_sheet(browser, live, seven_languages, shots, paper):
    with signed_in(browser, live, "poster-admin@example.gov", PASSWORD) as page:
        page.goto(f"{live.url}/admin/locations/HOU-P1/poster?paper={paper}")
        assert page.locator("article.poster.many").count() == 1
        calls = page.locator("p.call")
        assert [calls.nth(n).get_attribute("lang") for n in range(calls.count())] == [
            "zh-Hans" if code == "zh" else code for code in LANGUAGES
        ]
        assert page.get_attribute("p.question-other[lang='ar']", "dir") == "rtl"
        assert page.inner_text("p.question-other[lang='ko']") == DEFAULT_QUESTION["ko"]
        page.emulate_media(media="print")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        assert pages_of(pdf) == 1, f"{pages_of(pdf)} sheets on {paper}"
        if paper == "letter":
            page.screenshot(path=str(shots / "poster-seven-languages.png"), full_page=True)
        assert page.problems == []
