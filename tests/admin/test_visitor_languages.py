"""Issue 17 in the admin site: an office's visitor languages (form, CSRF, audit), survey texts per
language, answers per language on a location's page, and admin pages for a Korean browser."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import AuditEntry, Office, Response, Survey
from feedback.services import hours, languages, offices, surveys
from feedback.services.errors import InvalidInput
from tests.admin.conftest import fresh, post
from tests.builders import TESTER, add_device
from tests.helpers.responses import item, kiosk, utc

ADMIN = "admin@example.gov"
OFFICE = "Alpha Passport Agency"


@pytest.fixture
def world(build, make_user):
    office = build.office(OFFICE, "America/Chicago")
    location = build.location(code="LNG-1", office=office, question=surveys.DEFAULT_QUESTION)
    make_user(ADMIN, "admin")
    return {"office": office, "location": location}


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


def office_form(office: Office, **extra) -> dict:
    return {"name": office.name, "timezone": office.timezone} | hours.opening_hours_text(office) | extra


def test_an_admin_chooses_the_offices_visitor_languages(admin, session, world):
    office = world["office"]
    page = admin.get(f"/admin/offices/{office.id}/edit").get_data(as_text=True)
    ticked = re.findall(
        r'<input checked id="visitor_languages-\d" name="visitor_languages" type="checkbox" value="(\w+)"', page
    )
    assert ticked == ["en", "es", "zh", "vi", "ko", "tl", "ar"]  # none chosen yet: every language
    assert 'name="visitor_languages_shown" type="hidden" value="1"' in page
    data = office_form(office, visitor_languages_shown="1", visitor_languages=["es", "ko", "ar"])
    assert post(admin, f"/admin/offices/{office.id}/edit", data).status_code == 302
    fresh(session)
    assert session.get(Office, office.id).visitor_languages == ["en", "es", "ko", "ar"]  # English always
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "office.update")).one()
    assert entry.details["visitor_languages"] == [None, ["en", "es", "ko", "ar"]]

    # A post without the languages list (another form, a script) keeps them.
    assert post(admin, f"/admin/offices/{office.id}/edit", office_form(office)).status_code == 302
    fresh(session)
    assert session.get(Office, office.id).visitor_languages == ["en", "es", "ko", "ar"]

    # Every language ticked again: stored as "every language".
    every = office_form(
        office, visitor_languages_shown="1", visitor_languages=["en", "es", "zh", "vi", "ko", "tl", "ar"]
    )
    assert post(admin, f"/admin/offices/{office.id}/edit", every).status_code == 302
    fresh(session)
    assert session.get(Office, office.id).visitor_languages is None


def test_the_office_form_needs_its_csrf_token(admin, world):
    office = world["office"]
    refused = admin.post(f"/admin/offices/{office.id}/edit", data=office_form(office, visitor_languages=["en"]))
    assert refused.status_code == 400


def test_an_unknown_language_is_refused(session, world):
    office = world["office"]
    with pytest.raises(InvalidInput) as refused, write_transaction(session):
        offices.update_office(
            session,
            TESTER,
            office.id,
            name=office.name,
            timezone=office.timezone,
            opening_hours={},
            visitor_languages=["en", "xx"],
        )
    assert "visitor_languages" in refused.value.errors


def test_survey_texts_per_language_are_edited_in_the_admin_site(admin, session, world):
    survey = world["location"].survey
    page = admin.get(f"/admin/surveys/{survey.id}").get_data(as_text=True)
    assert 'name="question_ko"' in page and 'name="labels_ar"' in page and 'dir="rtl"' in page
    assert surveys.DEFAULT_QUESTION["ko"] in page  # the current version's texts
    data = {
        "scale": "thumbs",
        "question_en": "Did we help?",
        "question_es": "¿Le ayudamos?",
        "question_ar": "هل ساعدناك؟",
        "labels_ar": "لا\nنعم",
        "followup_choices": [],
    }
    assert post(admin, f"/admin/surveys/{survey.id}", data).status_code == 302
    fresh(session)
    version = session.get(Survey, survey.id).current_version()
    assert version.question == {"en": "Did we help?", "es": "¿Le ayudamos?", "ar": "هل ساعدناك؟"}
    assert version.labels == {"ar": ["لا", "نعم"]}

    too_many = data | {"labels_ko": "1\n2\n3"}
    refused = post(admin, f"/admin/surveys/{survey.id}", too_many)
    assert 'id="labels_ko-error"' in refused.get_data(as_text=True)
    fresh(session)
    assert session.get(Survey, survey.id).current_version().labels == {"ar": ["لا", "نعم"]}  # not saved


def test_answers_are_counted_per_language(admin, session, world):
    location = world["location"]
    with write_transaction(session):
        device, _ = add_device(session, location)
    when = utc("2026-11-10T15:00")
    taps = zip(("ko", "ko", "ar", "en"), (0, 1, 2, 3), strict=True)  # an hour apart: no repeat taps
    items = [item(5, when + timedelta(hours=n)) | {"language": code} for code, n in taps]
    with write_transaction(session):
        kiosk(session, device, items)
    with write_transaction(session):
        session.add(
            Response(
                id=uuid.uuid4(),
                location_id=location.id,
                survey_version_id=location.survey.current_version().id,
                channel="kiosk",
                rating=1,
                language="ko",
                client_time=when,
                suspect=True,
                payload_hash="x" * 64,
            )
        )
    counts = languages.answers_by_language(session, location, date(2026, 11, 1), date(2026, 11, 30))
    assert counts == {"en": 1, "ko": 2, "ar": 1}  # the suspect tap is not counted, as in the scores
    assert languages.answers_by_language(session, location, date(2026, 11, 1), date(2026, 11, 30), channel="qr") == {}
    html = admin.get(f"/admin/locations/{location.code}?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    section = html[html.index('id="languages"') :]
    assert "한국어" in section and "العربية" in section and "<td>2</td>" in section


def test_admin_pages_for_a_korean_browser_are_in_english(admin, world):
    page = admin.get("/admin/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign out" in html  # the admin site stays English or Spanish
