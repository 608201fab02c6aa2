"""The admin forms behind A-11 reporting: the survey built from the A-11 v2 template (items 4 and 5),
a location's Touchpoints channels and an office's service provider (item 3)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from feedback.i18n import LANGUAGES
from feedback.models import Location, Office, Survey, SurveyVersion
from feedback.touchpoints import A11_V2, TRUST_QUESTION_TEMPLATE, TRUST_QUESTION_TEMPLATES
from tests.admin.conftest import csrf_token, field_errors, fresh, sign_in

NEW = "/admin/surveys/new"


def _value(body: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    return html.unescape(re.search(r'value="([^"]*)"', tag).group(1))


def test_the_template_fills_a_survey_that_is_reported(client, session, make_user):
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    query = {"template": A11_V2, "t-agency": "the Passport Office", "t-scale": "thumbs"}
    body = client.get(NEW, query_string=query).get_data(as_text=True)
    question = TRUST_QUESTION_TEMPLATE.replace("[Agency]", "the Passport Office")
    assert _value(body, "question_en") == question
    # Issue 17: the trust question in every visitor language, so an A-11 counter is not English
    # and Spanish only (a language without the survey's text is not offered).
    for code in LANGUAGES:
        written = _value(body, f"question_{code}")
        assert written == TRUST_QUESTION_TEMPLATES[code].replace("[Agency]", "the Passport Office"), code
        assert "[Agency]" not in written and written.count("the Passport Office") == 2, code
    assert re.search(r'<option selected value="thumbs">|<option value="thumbs" selected>', body)
    assert re.search(r'<option selected value="a11_v2">|<option value="a11_v2" selected>', body)
    checked = re.findall(
        r'<input checked id="followup_choices-\d+" name="followup_choices" type="checkbox" value="(\w+)"', body
    )
    assert checked == ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other"]
    data = {
        "csrf_token": csrf_token(client, NEW),
        "name": "Passport A-11",
        "question_en": question,
        "question_es": "",
        "scale": "thumbs",
        "a11_role": A11_V2,
        "followup_choices": checked,
    }
    assert client.post(NEW, data=data).status_code == 302
    fresh(session)
    survey = session.scalar(select(Survey).where(Survey.name == "Passport A-11"))
    version = SurveyVersion.current_for(session, survey.id)
    assert (version.a11_role, version.scale, version.question["en"]) == (A11_V2, "thumbs", question)
    page = client.get(f"/admin/surveys/{survey.id}").get_data(as_text=True)
    assert 'data-a11="reported"' in page


def test_a_4_point_scale_or_a_satisfaction_question_cannot_take_the_role(client, session, make_user):
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    data = {
        "csrf_token": csrf_token(client, NEW),
        "name": "Not A-11",
        "question_en": "How did we do today?",
        "scale": "faces4",
        "a11_role": A11_V2,
        "followup_choices": ["effectiveness", "ease", "efficiency"],
    }
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    errors = " ".join(field_errors(response))
    assert "A 4-point scale cannot be reported as A-11 question 1" in errors
    assert "trust question" in errors
    fresh(session)
    assert session.scalar(select(Survey).where(Survey.name == "Not A-11")) is None
    # Without the role it is saved, and its page says it is not reported, and why.
    data |= {"csrf_token": csrf_token(client, NEW), "a11_role": ""}
    assert client.post(NEW, data=data).status_code == 302
    fresh(session)
    survey = session.scalar(select(Survey).where(Survey.name == "Not A-11"))
    page = client.get(f"/admin/surveys/{survey.id}").get_data(as_text=True)
    assert 'data-a11="not-reported"' in page and "4-point scale cannot be reported" in page


def test_location_channels_and_office_provider_are_saved(client, session, build, make_user):
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    office = build.office("Channel Office", "America/Chicago")
    location = build.location("CHN-1", office=office)
    url = f"/admin/locations/{location.code}/edit"
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "Counter",
        "active": "y",
        "office": office.id,
        "a11_channel_kiosk": "in_person",
        "a11_channel_qr": "",
    }
    assert client.post(url, data=data).status_code == 302
    bad = client.post(url, data=data | {"csrf_token": csrf_token(client, url), "a11_channel_qr": "pigeon"})
    assert bad.status_code == 422 and any("Touchpoints' channels" in e for e in field_errors(bad))
    fresh(session)
    stored = session.get(Location, location.id)
    assert (stored.a11_channel_kiosk, stored.a11_channel_qr) == ("in_person", None)
    assert (stored.a11_channel("kiosk"), stored.a11_channel("qr")) == ("in_person", "mobile")
    url = f"/admin/offices/{office.id}/edit"
    body = client.get(url).get_data(as_text=True)
    assert 'name="service_provider"' in body
    form = {
        "csrf_token": csrf_token(client, url),
        "name": "Channel Office",
        "timezone": "America/Chicago",
        "service_provider": "Department of State - Passport Services",
    }
    assert client.post(url, data=form).status_code == 302
    fresh(session)
    assert session.get(Office, office.id).service_provider == "Department of State - Passport Services"
