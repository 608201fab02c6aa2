"""Management pages: offices, locations, surveys, kiosks and users, through the real forms.

For each page: the list, create/edit with the stored rows checked, a refused form (422, nothing
stored, no audit entry), the audit entry with old and new values, and a manager's scope (404 for
other offices' objects, 403 for admin-only pages). The silent-kiosk rule is tested with exact times.
CSRF: every form posted without its token is refused (400) and changes nothing.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.models import ApiToken, AuditEntry, Device, EnrollmentCode, Location, Office, Survey, SurveyVersion, User
from feedback.models.devices import hash_token
from feedback.services import api_tokens, enrollment, hours, kiosks, locations, offices, surveys, targets, users
from feedback.services.errors import Forbidden, InvalidInput, NotFound
from tests.admin.conftest import changes, field_errors, fresh, post, sign_in
from tests.builders import TESTER, add_api_token, add_device, add_survey_version
from tests.helpers.qr_images import decode, svg_pixels

ALPHA, BRAVO = "Alpha Passport Agency", "Bravo Licence Centre"
ADMIN, MANAGER = "admin@example.gov", "manager.a@example.gov"
WEEKDAYS_0830 = {d: [["08:00", "12:00"], ["13:00", "16:30"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [],
    "sun": [],
}


@pytest.fixture
def world(session, build, make_user):
    """Office Alpha (Chicago; counters AAA-1, AAA-2 and a kiosk), office Bravo (New York; BBB-1 and a
    kiosk); a manager of Alpha and an admin."""
    alpha = build.office(ALPHA, "America/Chicago", WEEKDAYS_0830)
    bravo = build.office(BRAVO, "America/New_York")
    survey = build.survey(question={"en": "How did we do?", "es": "¿Cómo lo hicimos?"})
    a1 = build.location("AAA-1", office=alpha, survey=survey)
    a2 = build.location("AAA-2", office=alpha, survey=survey)
    b1 = build.location("BBB-1", office=bravo)
    kiosk_a, _ = build.device(location=a1)
    kiosk_b, _ = build.device(location=b1)
    manager = make_user(MANAGER, "manager")
    admin = make_user(ADMIN, "admin")
    with write_transaction(session):
        session.get(User, manager.id).offices = [session.get(Office, alpha.id)]
    return {
        "alpha": alpha,
        "bravo": bravo,
        "survey": survey,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "kiosk_a": kiosk_a,
        "kiosk_b": kiosk_b,
        "manager": manager,
        "admin": admin,
    }


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as(MANAGER)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def audit_entries(session, action: str | None = None) -> list[AuditEntry]:
    return changes(session, action)


def get(session, model, object_id):
    fresh(session)
    return session.get(model, object_id)


def count(session, model) -> int:
    fresh(session)
    return session.scalar(select(func.count()).select_from(model))


def office_data(name="Charlie Visa Office", tz="America/Denver", **days):
    data = {
        "name": name,
        "timezone": tz,
        "hours_mon": "08:00-16:30",
        "hours_tue": "8:00-12:00, 13:00-16:30",
        "hours_wed": "08:00-16:30",
        "hours_thu": "08:00-16:30",
        "hours_fri": "08:00-12:00",
        "hours_sat": "",
        "hours_sun": "closed",
    }
    data.update({f"hours_{day}": value for day, value in days.items()})
    return data


# --- offices ----------------------------------------------------------------------------------


def test_offices_list(admin, world):
    page = admin.get("/admin/offices")
    assert page.status_code == 200
    body = text(page)
    assert ALPHA in body and BRAVO in body and "America/Chicago" in body
    assert "08:00-12:00, 13:00-16:30" in body  # Alpha's Monday
    assert 'href="/admin/offices/new"' in body


def test_create_office(admin, session, world):
    response = post(admin, "/admin/offices/new", office_data())
    assert response.status_code == 302 and response.location == "/admin/offices"
    office = get(session, Office, session.scalar(select(Office.id).where(Office.name == "Charlie Visa Office")))
    assert office.timezone == "America/Denver"
    assert office.slug == "charlie-visa-office"
    assert office.opening_hours == {
        "mon": [["08:00", "16:30"]],
        "tue": [["08:00", "12:00"], ["13:00", "16:30"]],
        "wed": [["08:00", "16:30"]],
        "thu": [["08:00", "16:30"]],
        "fri": [["08:00", "12:00"]],
        "sat": [],
        "sun": [],
    }
    (entry,) = audit_entries(session, "office.create")
    assert (entry.actor, entry.user_id, entry.target_type, entry.target_id) == (
        ADMIN,
        world["admin"].id,
        "office",
        office.id,
    )
    assert entry.details["name"] == [None, "Charlie Visa Office"]
    assert entry.details["timezone"] == [None, "America/Denver"]
    assert entry.details["opening_hours"][1]["fri"] == [["08:00", "12:00"]]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "timezone", "Not an IANA time zone"),
        ({"tz": "../../etc/passwd"}, "timezone", "Not an IANA time zone"),
        ({"tz": "localtime"}, "timezone", "Not an IANA time zone"),  # the server's own zone: no place
        ({"mon": "9-5"}, "hours_mon", "not a span like 08:00-16:30"),
        ({"tue": "16:30-08:00"}, "hours_tue", "the end must be after the start"),
        ({"wed": "08:00-12:00, 11:00-16:00"}, "hours_wed", "must not overlap"),
        ({"thu": "08:00-25:00"}, "hours_thu", "not a span"),
        ({"name": ALPHA}, "name", "Another office has this name"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_invalid_office_is_refused_and_nothing_stored(admin, session, world, change, field, message):
    data = office_data(**{k: v for k, v in change.items() if k not in ("tz", "name")})
    if "tz" in change:
        data["timezone"] = change["tz"]
    if "name" in change:
        data["name"] = change["name"]
    offices_before = count(session, Office)
    response = post(admin, "/admin/offices/new", data)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response)), field_errors(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(session, Office) == offices_before
    assert audit_entries(session) == []


def test_edit_office_records_old_and_new(admin, session, world):
    alpha = world["alpha"]
    form = admin.get(f"/admin/offices/{alpha.id}/edit")
    assert form.status_code == 200
    assert 'value="08:00-12:00, 13:00-16:30"' in form.get_data(as_text=True)
    response = post(
        admin,
        f"/admin/offices/{alpha.id}/edit",
        office_data(name="Alpha Passport Agency (Houston)", tz="America/Chicago", sat="09:00-13:00"),
    )
    assert response.status_code == 302
    office = get(session, Office, alpha.id)
    assert office.name == "Alpha Passport Agency (Houston)"
    assert office.slug == alpha.slug  # printed addresses keep working
    assert office.opening_hours["sat"] == [["09:00", "13:00"]]
    (entry,) = audit_entries(session, "office.update")
    assert entry.details["name"] == [ALPHA, "Alpha Passport Agency (Houston)"]
    assert "timezone" not in entry.details  # unchanged fields are not listed
    old, new = entry.details["opening_hours"]
    assert old["sat"] == [] and new["sat"] == [["09:00", "13:00"]]


def test_saving_an_office_unchanged_records_nothing(admin, session, world):
    alpha = world["alpha"]
    data = {"name": ALPHA, "timezone": "America/Chicago"} | hours.opening_hours_text(alpha)
    response = post(admin, f"/admin/offices/{alpha.id}/edit", data)
    assert response.status_code == 302
    assert "Nothing changed." in text(admin.get("/admin/offices"))
    assert audit_entries(session) == []


def test_edit_office_invalid_changes_nothing(admin, session, world):
    alpha = world["alpha"]
    response = post(admin, f"/admin/offices/{alpha.id}/edit", office_data(name=BRAVO, tz="Nowhere/Town"))
    assert response.status_code == 422
    assert len(field_errors(response)) == 2
    office = get(session, Office, alpha.id)
    assert (office.name, office.timezone, office.opening_hours) == (ALPHA, "America/Chicago", WEEKDAYS_0830)
    assert audit_entries(session) == []


def test_offices_are_admin_only(manager, session, world):
    alpha = world["alpha"]
    for path in ("/admin/offices", "/admin/offices/new", f"/admin/offices/{alpha.id}/edit"):
        assert manager.get(path).status_code == 403, path
    assert post(manager, "/admin/offices/new", office_data()).status_code == 403
    assert post(manager, f"/admin/offices/{alpha.id}/edit", office_data(name="Mine now")).status_code == 403
    assert get(session, Office, alpha.id).name == ALPHA
    assert count(session, Office) == 2
    assert 'href="/admin/offices"' not in manager.get("/admin/").get_data(as_text=True)  # not in the menu


def test_unknown_office_is_404_for_an_admin(admin):
    assert admin.get("/admin/offices/999999/edit").status_code == 404


def test_parse_day_hours():
    assert hours.parse_day_hours("") == []
    assert hours.parse_day_hours(" Closed ") == []
    assert hours.parse_day_hours("13:00-16:30; 8:00 - 12:00") == [["08:00", "12:00"], ["13:00", "16:30"]]
    assert hours.parse_day_hours("00:00-24:00") == [["00:00", "24:00"]]
    assert hours.parse_day_hours("08:00\u201312:00") == [["08:00", "12:00"]]  # an en dash
    assert hours.parse_day_hours("08:00-12:00, 12:00-13:00") == [["08:00", "12:00"], ["12:00", "13:00"]]
    for bad in (
        "8-5",
        "08:00",
        "08:60-09:00",
        "24:00-24:00",
        "10:00-10:00",
        "08:00-12:00, 11:59-13:00",
        "08:00-12:00 13:00-14:00",
    ):
        with pytest.raises(ValueError, match=r"not a span|end must be after|must not overlap"):
            hours.parse_day_hours(bad)


# --- locations --------------------------------------------------------------------------------


def test_locations_list_for_an_admin(admin, world, session):
    with write_transaction(session):
        session.get(Location, world["a1"].id).csat_target = 0.855
    body = text(admin.get("/admin/locations"))
    for code in ("AAA-1", "AAA-2", "BBB-1"):
        assert code in body
    assert "85.5 %" in body and "not set" in body
    for link in (
        "/admin/locations/AAA-1/poster",
        "/admin/locations/AAA-1/qr.png",
        "/admin/locations/AAA-1/qr.svg",
        "/admin/locations/AAA-1/rotate-link",
        "/admin/locations/AAA-1/edit",
        "/admin/locations/new",
    ):
        assert link in body, link


def test_locations_list_for_a_manager_shows_only_their_scope(manager, world):
    response = manager.get("/admin/locations")
    assert response.status_code == 200
    body = text(response)
    assert "AAA-1" in body and "AAA-2" in body
    assert "BBB-1" not in body and BRAVO not in body
    assert "/admin/locations/new" not in body


def location_data(**overrides):
    return {
        "code": "AAA-3",
        "name": "Counter 3 - Renewals",
        "office": "",
        "survey": "",
        "active": "y",
        "csat_target": "85",
    } | overrides


def test_admin_creates_a_location(admin, session, world):
    form = admin.get("/admin/locations/new")
    assert form.status_code == 200
    data = location_data(code=" aaa-3 ", office=world["alpha"].id, survey=world["survey"].id)
    response = post(admin, "/admin/locations/new", data)
    assert response.status_code == 302 and response.location == "/admin/locations"
    fresh(session)
    location = session.scalar(select(Location).where(Location.code == "AAA-3"))
    assert (location.name, location.office_id, location.survey_id, location.active, location.csat_target) == (
        "Counter 3 - Renewals",
        world["alpha"].id,
        world["survey"].id,
        True,
        0.85,
    )
    (entry,) = audit_entries(session, "location.create")
    assert entry.target_id == location.id
    assert entry.details["code"] == [None, "AAA-3"]
    assert entry.details["office"] == [None, ALPHA]
    assert entry.details["csat_target"] == [None, 0.85]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "a b"}, "capital letters, digits and dashes"),
        ({"code": "BBB-1"}, "Another location has this code"),
        ({"csat_target": "150"}, "Number must be between 0 and 100"),
        ({"csat_target": "-1"}, "Number must be between 0 and 100"),
        ({"csat_target": "lots"}, "Not a valid decimal value"),
        ({"name": "   "}, "This field is required"),
        ({"office": "999999"}, "Not a valid choice"),
    ],
)
def test_invalid_location_is_refused_and_nothing_stored(admin, session, world, overrides, message):
    before = count(session, Location)
    data = location_data(office=world["alpha"].id, survey=world["survey"].id) | overrides
    response = post(admin, "/admin/locations/new", data)
    assert response.status_code == 422
    assert any(message in e for e in field_errors(response)), field_errors(response)
    assert count(session, Location) == before
    assert audit_entries(session) == []


def test_manager_edits_their_location(manager, session, world):
    a1 = world["a1"]
    form = manager.get("/admin/locations/AAA-1/edit")
    assert form.status_code == 200
    assert 'name="office"' not in form.get_data(as_text=True)  # managers cannot move locations
    response = post(
        manager,
        "/admin/locations/AAA-1/edit",
        {"name": "Counter 1 - Applications", "csat_target": "92.5", "office": world["bravo"].id},
    )
    assert response.status_code == 302
    location = get(session, Location, a1.id)
    assert (location.name, location.active, location.csat_target, location.office_id) == (
        "Counter 1 - Applications",
        False,
        0.925,
        world["alpha"].id,
    )  # unticked = inactive; office ignored
    (entry,) = audit_entries(session, "location.update")
    assert (entry.actor, entry.target_type, entry.target_id) == (MANAGER, "location", a1.id)
    assert entry.details == {
        "name": ["Counter", "Counter 1 - Applications"],
        "active": [True, False],
        "csat_target": [None, 0.925],
    }
    assert "92.5" in text(manager.get("/admin/locations/AAA-1/edit"))


def test_clearing_a_csat_target(manager, session, world):
    with write_transaction(session):
        session.get(Location, world["a1"].id).csat_target = 0.8
    assert 'value="80"' in manager.get("/admin/locations/AAA-1/edit").get_data(as_text=True)
    response = post(manager, "/admin/locations/AAA-1/edit", {"name": "Counter", "active": "y", "csat_target": ""})
    assert response.status_code == 302
    assert get(session, Location, world["a1"].id).csat_target is None
    (entry,) = audit_entries(session, "location.update")
    assert entry.details == {"csat_target": [0.8, None]}


def test_admin_moves_a_location_to_another_office(admin, session, world):
    response = post(
        admin,
        "/admin/locations/AAA-2/edit",
        {"name": "Counter", "active": "y", "csat_target": "", "office": world["bravo"].id},
    )
    assert response.status_code == 302
    assert get(session, Location, world["a2"].id).office_id == world["bravo"].id
    (entry,) = audit_entries(session, "location.update")
    assert entry.details == {"office": [ALPHA, BRAVO]}


def test_invalid_location_edit_changes_nothing(manager, session, world):
    for data, message in (
        ({"name": "", "active": "y", "csat_target": "90"}, "This field is required"),
        ({"name": "Renamed", "active": "y", "csat_target": "100.5"}, "between 0 and 100"),
    ):
        response = post(manager, "/admin/locations/AAA-1/edit", data)
        assert response.status_code == 422
        assert any(message in e for e in field_errors(response))
        assert 'value="Renamed"' in response.get_data(as_text=True) or not data["name"]  # the input is kept
    location = get(session, Location, world["a1"].id)
    assert (location.name, location.active, location.csat_target) == ("Counter", True, None)
    assert audit_entries(session) == []


def test_manager_cannot_touch_other_offices_locations_or_create(manager, session, world):
    assert manager.get("/admin/locations/BBB-1/edit").status_code == 404
    assert manager.get("/admin/locations/NOPE-1/edit").status_code == 404  # same answer as unknown
    response = post(manager, "/admin/locations/BBB-1/edit", {"name": "Taken over", "active": "y"})
    assert response.status_code == 404
    assert manager.get("/admin/locations/new").status_code == 403
    assert (
        post(
            manager, "/admin/locations/new", location_data(office=world["alpha"].id, survey=world["survey"].id)
        ).status_code
        == 403
    )
    assert get(session, Location, world["b1"].id).name == "Counter"
    assert count(session, Location) == 3
    assert audit_entries(session) == []


def test_service_refuses_out_of_scope_and_admin_only_location_changes(session, world):
    manager = get(session, User, world["manager"].id)
    with pytest.raises(NotFound):
        locations.update_location(session, manager, world["b1"].id, name="x", active=True)
    session.rollback()
    with pytest.raises(Forbidden):
        locations.update_location(session, manager, world["a1"].id, name="x", active=True, office_id=world["bravo"].id)
    session.rollback()
    assert get(session, Location, world["a1"].id).name == "Counter"


def test_percentages():
    assert targets.target_from_percent("85") == 0.85
    assert targets.target_from_percent("92.5") == 0.925
    assert targets.target_from_percent("") is None
    assert targets.target_from_percent(None) is None
    assert targets.percent_from_target(0.925) == Decimal("92.5")
    assert targets.percent_from_target(0.57) == Decimal("57")
    for bad in ("101", "-0.1", "NaN", "abc"):
        with pytest.raises(InvalidInput):
            targets.target_from_percent(bad)


# --- surveys ----------------------------------------------------------------------------------


def survey_data(**overrides):
    return {
        "scale": "faces5",
        "question_en": "How did we do?",
        "question_es": "¿Cómo lo hicimos?",
        "followup_choices": ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"],
        "omb_control_number": "",
        "omb_expiration": "",
        "burden_statement": "",
    } | overrides


def versions(session, survey_id) -> list[SurveyVersion]:
    fresh(session)
    return list(
        session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey_id).order_by(SurveyVersion.version)
        )
    )


def test_surveys_list_shows_the_current_version(admin, session, world):
    with write_transaction(session):
        add_survey_version(
            session,
            session.get(Survey, world["survey"].id),
            scale="thumbs",
            question={"en": "Were we helpful?"},
            followup_choices=[],
        )
    body = text(admin.get("/admin/surveys"))
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a href=\"/admin/surveys/{world['survey'].id}\">.*?</tr>", body, re.S)
    assert row and "Were we helpful?" in row.group(0) and "Thumbs" in row.group(0)  # the scale, by name
    assert "<td>2</td>" in row.group(0)  # version 2, and 2 locations use it
    assert "How did we do?" not in row.group(0)


def test_editing_a_survey_makes_a_new_version(admin, session, world):
    survey_id = world["survey"].id
    form = admin.get(f"/admin/surveys/{survey_id}")
    assert form.status_code == 200
    assert 'value="How did we do?"' in form.get_data(as_text=True)
    data = survey_data(
        scale="faces4",
        question_en="How was your visit?",
        followup_choices=["ease", "other"],
        omb_control_number="1405-0020",
        omb_expiration="2027-06-30",
        burden_statement="Public burden is estimated at 1 minute.",
    )
    response = post(admin, f"/admin/surveys/{survey_id}", data)
    assert response.status_code == 302
    first, second = versions(session, survey_id)
    # Version 1 is untouched (immutable); version 2 holds the edit.
    assert (first.scale, first.question["en"], first.omb_control_number) == ("faces5", "How did we do?", None)
    assert (second.version, second.scale, second.question, second.followup_choices) == (
        2,
        "faces4",
        {"en": "How was your visit?", "es": "¿Cómo lo hicimos?"},
        ["ease", "other"],
    )
    assert (second.omb_control_number, second.omb_expiration, second.burden_statement) == (
        "1405-0020",
        date(2027, 6, 30),
        "Public burden is estimated at 1 minute.",
    )
    (entry,) = audit_entries(session, "survey.update")
    assert entry.target_id == survey_id
    assert entry.details["version"] == [1, 2]
    assert entry.details["scale"] == ["faces5", "faces4"]
    assert entry.details["question_en"] == ["How did we do?", "How was your visit?"]
    assert entry.details["omb_expiration"] == [None, "2027-06-30"]
    assert "question_es" not in entry.details
    # The page lists both versions, the past one read-only (no form fields for it).
    page = text(admin.get(f"/admin/surveys/{survey_id}"))
    versions_table = page[page.index('id="versions-heading"') :]
    assert "How did we do?" in versions_table and "How was your visit?" in versions_table
    assert "<input" not in versions_table and "<textarea" not in versions_table


def test_saving_a_survey_unchanged_makes_no_version(admin, session, world):
    response = post(admin, f"/admin/surveys/{world['survey'].id}", survey_data())
    assert response.status_code == 302
    assert len(versions(session, world["survey"].id)) == 1
    assert audit_entries(session) == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"question_en": ""}, "question_en", "This field is required"),
        ({"scale": "faces10"}, "scale", "Not a valid choice"),
        ({"followup_choices": ["ease", "bribery"]}, "followup_choices", "not a valid choice"),
        (
            {"omb_control_number": "1405-20", "omb_expiration": "2027-01-01", "burden_statement": "1 minute."},
            "omb_control_number",
            "Four digits, a dash, four digits",
        ),
        ({"omb_control_number": "1405-0020", "burden_statement": "1 minute."}, "omb_expiration", "Required with"),
        ({"omb_control_number": "1405-0020", "omb_expiration": "2027-01-01"}, "burden_statement", "Required with"),
        ({"omb_expiration": "2027-01-01"}, "omb_control_number", "Required when"),
        ({"omb_expiration": "31/12/2027"}, "omb_expiration", "Not a valid date value"),
        ({"question_es": "x" * 201}, "question_es", "Field cannot be longer than 200 characters"),
    ],
)
def test_invalid_survey_edit_makes_no_version(admin, session, world, overrides, field, message):
    response = post(admin, f"/admin/surveys/{world['survey'].id}", survey_data(question_en="Changed?") | overrides)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert any(message in e for e in field_errors(response)), field_errors(response)
    assert len(versions(session, world["survey"].id)) == 1
    assert audit_entries(session) == []


def test_admin_creates_a_survey(admin, session, world):
    assert admin.get("/admin/surveys/new").status_code == 200
    response = post(
        admin,
        "/admin/surveys/new",
        survey_data(
            name="Thumbs only", scale="thumbs", question_en="Did we help?", question_es="", followup_choices=[]
        ),
    )
    assert response.status_code == 302
    fresh(session)
    survey = session.scalar(select(Survey).where(Survey.name == "Thumbs only"))
    (version,) = versions(session, survey.id)
    assert (version.scale, version.question, version.followup_choices) == ("thumbs", {"en": "Did we help?"}, [])
    (entry,) = audit_entries(session, "survey.create")
    assert entry.details["name"] == [None, "Thumbs only"] and entry.details["scale"] == [None, "thumbs"]
    duplicate = post(admin, "/admin/surveys/new", survey_data(name="thumbs ONLY"))
    assert duplicate.status_code == 422 and "Another survey has this name." in field_errors(duplicate)


def test_assign_a_survey_to_locations(admin, session, world):
    other = world["b1"]
    old_survey = get(session, Location, other.id).survey
    target = world["survey"]
    page = text(admin.get(f"/admin/surveys/{target.id}"))
    assert "BBB-1" in page[page.index('id="using-heading"') :]
    response = post(admin, f"/admin/surveys/{target.id}/assign", {"locations": [other.id]})
    assert response.status_code == 302
    assert get(session, Location, other.id).survey_id == target.id
    (entry,) = audit_entries(session, "location.assign_survey")
    assert (entry.target_type, entry.target_id) == ("location", other.id)
    assert entry.details == {"survey": [old_survey.name, target.name]}
    # Nothing chosen: refused, nothing changed.
    again = post(admin, f"/admin/surveys/{old_survey.id}/assign", {})
    assert again.status_code == 422
    assert "Choose at least one location." in field_errors(again)
    assert get(session, Location, other.id).survey_id == target.id


def test_surveys_are_admin_only(manager, session, world):
    survey_id = world["survey"].id
    for path in ("/admin/surveys", "/admin/surveys/new", f"/admin/surveys/{survey_id}"):
        assert manager.get(path).status_code == 403, path
    assert post(manager, f"/admin/surveys/{survey_id}", survey_data(question_en="Mine")).status_code == 403
    assert post(manager, f"/admin/surveys/{survey_id}/assign", {"locations": [world["b1"].id]}).status_code == 403
    assert len(versions(session, survey_id)) == 1
    assert get(session, Location, world["b1"].id).survey_id != survey_id


# --- kiosks -----------------------------------------------------------------------------------


def test_kiosks_list_in_scope_with_local_last_seen(manager, session, world):
    with write_transaction(session):
        kiosk = session.get(Device, world["kiosk_a"].id)
        kiosk.last_seen_at = datetime(2026, 3, 2, 15, 4, tzinfo=UTC)  # 09:04 in Chicago (CST)
        kiosk.app_version, kiosk.queue_length, kiosk.last_error = "2026.03.1", 7, "NetworkError: offline"
    response = manager.get("/admin/kiosks")
    assert response.status_code == 200
    body = text(response)
    assert "2026-03-02 09:04 CST" in body
    assert "2026.03.1" in body and "<td>7</td>" in body and "NetworkError: offline" in body
    assert f"#{world['kiosk_a'].id}" in body
    assert "BBB-1" not in body and BRAVO not in body  # office B's kiosk is not listed
    assert f"/admin/kiosks/{world['kiosk_b'].id}/" not in body


def test_silent_kiosks_are_flagged_on_the_page(manager, session, world):
    with write_transaction(session):
        session.get(Office, world["alpha"].id).opening_hours = {d: [["00:00", "24:00"]] for d in WEEKDAYS_0830}
        session.get(Device, world["kiosk_a"].id).last_seen_at = datetime.now(UTC) - timedelta(hours=1)
        quiet_ok, _ = add_device(session, session.get(Location, world["a2"].id), "fresh tablet")
        quiet_ok.last_seen_at = datetime.now(UTC) - timedelta(minutes=1)
    body = manager.get("/admin/kiosks").get_data(as_text=True)
    rows = {int(m.group(2)): m.group(1) for m in re.finditer(r'<tr class="([a-z]*)">\s*<th scope="row">#(\d+)', body)}
    assert rows[world["kiosk_a"].id] == "flagged"
    assert rows[quiet_ok.id] == ""
    assert "1 kiosk silent for more than 15 minutes" in body


def test_enrol_a_kiosk_shows_the_one_time_link_and_its_qr_code(manager, session, world):
    response = post(manager, "/admin/kiosks/enrol", {"location": world["a2"].id, "label": "tablet by window 3"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    (url,) = set(re.findall(r"http://127\.0\.0\.1:8000/kiosk/enroll/[A-Za-z0-9_-]+", body))
    code = url.rsplit("/", 1)[1]
    # The inline QR code holds the same link.
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert decode(svg_pixels(svg)).text == url
    # CSP: no inline style or script (script files from 'self' are allowed)
    assert "style=" not in body and not re.findall(r"<script(?![^>]*\bsrc=)", body)
    fresh(session)
    device = session.scalar(select(Device).where(Device.label == "tablet by window 3"))
    assert device.location_id == world["a2"].id and device.revoked_at is None
    record = enrollment.find_code(session, code, now=datetime.now(UTC))  # usable, and only its hash is stored
    assert record.device_id == device.id and record.code_hash == hash_token(code)
    (entry,) = audit_entries(session, "kiosk.enroll")
    assert (entry.actor, entry.target_type, entry.target_id) == (MANAGER, "device", device.id)
    assert entry.details == {"location": [None, "AAA-2"], "label": [None, "tablet by window 3"]}
    # The link is shown once: the kiosk list does not repeat it.
    assert code not in manager.get("/admin/kiosks").get_data(as_text=True)
    # And it works on the tablet.
    tablet = manager.application.test_client()
    assert tablet.get(f"/kiosk/enroll/{code}").status_code == 200


def test_enrol_is_refused_outside_scope_or_with_bad_input(manager, session, world):
    before = count(session, Device)
    assert post(manager, "/admin/kiosks/enrol", {"location": world["b1"].id, "label": "x"}).status_code == 404
    assert post(manager, "/admin/kiosks/enrol", {"location": 999999, "label": "x"}).status_code == 404
    missing = post(manager, "/admin/kiosks/enrol", {"location": "", "label": "x"})
    assert missing.status_code == 422
    long_label = post(manager, "/admin/kiosks/enrol", {"location": world["a1"].id, "label": "x" * 121})
    assert long_label.status_code == 422
    assert "Field cannot be longer than 120 characters." in field_errors(long_label)
    with write_transaction(session):
        session.get(Location, world["a2"].id).active = False
    off = post(manager, "/admin/kiosks/enrol", {"location": world["a2"].id, "label": "x"})
    assert off.status_code == 422
    assert "This location is switched off; switch it on first." in field_errors(off)
    assert count(session, Device) == before
    assert audit_entries(session) == []


def test_revoke_a_kiosk(manager, session, world, build):
    _device, token = build.device(location=world["a2"])
    device_id = _device.id
    assert kiosks.authenticate(session, token) is not None
    asked = post(manager, f"/admin/kiosks/{device_id}/revoke")  # no confirm=1: the confirmation page
    assert asked.status_code == 200
    assert "stops taking answers" in text(asked) and 'name="confirm" value="1"' in text(asked)
    assert get(session, Device, device_id).revoked_at is None
    response = post(manager, f"/admin/kiosks/{device_id}/revoke", {"confirm": "1"})
    assert response.status_code == 302 and response.location == "/admin/kiosks"
    device = get(session, Device, device_id)
    assert device.revoked_at is not None
    assert kiosks.authenticate(session, token) is None
    (entry,) = audit_entries(session, "kiosk.revoke")
    assert entry.target_id == device_id
    assert entry.details["revoked_at"][0] is None and entry.details["revoked_at"][1].startswith(
        device.revoked_at.isoformat()[:16]
    )
    assert "revoked" in text(manager.get("/admin/kiosks"))
    # Revoking again changes nothing more.
    assert post(manager, f"/admin/kiosks/{device_id}/revoke", {"confirm": "1"}).status_code == 302
    assert len(audit_entries(session, "kiosk.revoke")) == 1


def test_new_enrolment_link_for_a_kiosk(manager, session, world):
    device_id = world["kiosk_a"].id
    response = post(manager, f"/admin/kiosks/{device_id}/link")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = re.search(r"/kiosk/enroll/([A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    assert enrollment.find_code(session, code, now=datetime.now(UTC)).device_id == device_id
    (entry,) = audit_entries(session, "kiosk.link")
    assert entry.target_id == device_id
    # A revoked kiosk gets no link: refused with a message, nothing stored.
    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device_id)
    codes = count(session, EnrollmentCode)
    refused = post(manager, f"/admin/kiosks/{device_id}/link")
    assert refused.status_code == 422
    assert "This kiosk is revoked; enrol a new one." in text(refused)
    assert count(session, EnrollmentCode) == codes


def test_manager_cannot_touch_other_offices_kiosks(manager, session, world):
    kiosk_b = world["kiosk_b"].id
    assert post(manager, f"/admin/kiosks/{kiosk_b}/revoke").status_code == 404
    assert post(manager, f"/admin/kiosks/{kiosk_b}/revoke", {"confirm": "1"}).status_code == 404
    assert post(manager, f"/admin/kiosks/{kiosk_b}/link").status_code == 404
    assert post(manager, "/admin/kiosks/999999/revoke").status_code == 404
    assert get(session, Device, kiosk_b).revoked_at is None
    assert count(session, EnrollmentCode) == 0
    assert audit_entries(session) == []


# --- the silent-kiosk rule, with exact times --------------------------------------------------

CHICAGO_HOURS = WEEKDAYS_0830  # Mon-Fri 08:00-12:00 and 13:00-16:30, America/Chicago


def chicago(*args) -> datetime:
    """A local Chicago time as an aware UTC datetime (March 2-6 2026 is CST, UTC-6)."""
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)


def kiosk(last_seen=None, created=None, hours=CHICAGO_HOURS, tz="America/Chicago", revoked=None, active=True):
    office = Office(name="Alpha", slug="alpha", timezone=tz, opening_hours=hours)
    location = Location(code="A-1", name="Counter", office=office, active=active)
    return Device(
        location=location,
        label="",
        token_hash="x",
        last_seen_at=last_seen,
        created_at=created or chicago(2026, 2, 1, 9, 0),
        revoked_at=revoked,
    )


def test_silent_for_more_than_15_minutes_while_open():
    device = kiosk(last_seen=chicago(2026, 3, 2, 10, 0))  # Monday 10:00
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 10, 14, 59))
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 10, 15))  # exactly 15 minutes: not yet
    assert kiosks.is_silent(device, chicago(2026, 3, 2, 10, 15, 1))
    assert kiosks.is_silent(device, chicago(2026, 3, 2, 11, 59))


def test_never_flagged_outside_opening_hours():
    device = kiosk(last_seen=chicago(2026, 3, 2, 10, 0))
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 12, 30))  # lunch break
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 16, 30))  # closing time (end is exclusive)
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 23, 0))  # night
    assert not kiosks.is_silent(device, chicago(2026, 3, 7, 11, 0))  # Saturday
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 7, 59))  # before opening
    assert not kiosks.is_silent(
        kiosk(last_seen=chicago(2026, 3, 2, 10, 0), hours={}), chicago(2026, 3, 3, 10, 0)
    )  # an office without opening hours


def test_only_opening_time_counts():
    # Last heard just before lunch: 5 minutes before and 10 after the break make 15.
    device = kiosk(last_seen=chicago(2026, 3, 2, 11, 55))
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 13, 10))
    assert kiosks.is_silent(device, chicago(2026, 3, 2, 13, 11))
    # Last heard a minute before Friday's closing: that minute and 14 of Monday morning make 15.
    device = kiosk(last_seen=chicago(2026, 3, 6, 16, 29))
    assert not kiosks.is_silent(device, chicago(2026, 3, 9, 8, 14))
    assert kiosks.is_silent(device, chicago(2026, 3, 9, 8, 15))


def test_never_seen_kiosks_count_from_their_enrolment():
    device = kiosk(created=chicago(2026, 3, 2, 7, 0))  # enrolled before opening, never heard from
    assert not kiosks.is_silent(device, chicago(2026, 3, 2, 8, 15))
    assert kiosks.is_silent(device, chicago(2026, 3, 2, 8, 16))
    fresh_device = kiosk(created=chicago(2026, 3, 2, 10, 0))
    assert not kiosks.is_silent(fresh_device, chicago(2026, 3, 2, 10, 10))
    assert kiosks.is_silent(fresh_device, chicago(2026, 3, 2, 10, 16))
    old = kiosk(created=chicago(2025, 1, 6, 9, 0))  # enrolled long ago, never used
    assert kiosks.is_silent(old, chicago(2026, 3, 2, 10, 0))
    assert not kiosks.is_silent(old, chicago(2026, 3, 1, 10, 0))  # but not on a Sunday


def test_revoked_kiosks_and_switched_off_locations_are_not_flagged():
    moment = chicago(2026, 3, 2, 11, 0)
    assert not kiosks.is_silent(kiosk(last_seen=chicago(2026, 3, 2, 9, 0), revoked=moment), moment)
    assert not kiosks.is_silent(kiosk(last_seen=chicago(2026, 3, 2, 9, 0), active=False), moment)


def test_silence_is_real_time_across_a_dst_change():
    """Chicago springs forward on Sunday 2026-03-08 at 02:00: 01:50 CST to 03:04 CDT is 14 minutes."""
    always = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    device = kiosk(last_seen=chicago(2026, 3, 8, 1, 50), hours=always)
    assert not kiosks.is_silent(device, chicago(2026, 3, 8, 3, 4))
    assert kiosks.is_silent(device, chicago(2026, 3, 8, 3, 6))
    assert hours.open_time_between(
        device.location.office, chicago(2026, 3, 8, 1, 50), chicago(2026, 3, 8, 3, 4)
    ) == timedelta(minutes=14)


def test_open_time_between():
    office = kiosk().location.office
    monday = hours.open_time_between(office, chicago(2026, 3, 2, 0, 0), chicago(2026, 3, 3, 0, 0))
    assert monday == timedelta(hours=7, minutes=30)
    week = hours.open_time_between(office, chicago(2026, 3, 2, 0, 0), chicago(2026, 3, 9, 0, 0))
    assert week == 5 * timedelta(hours=7, minutes=30)
    assert hours.open_time_between(office, chicago(2026, 3, 3), chicago(2026, 3, 2)) == timedelta(0)


# --- users ------------------------------------------------------------------------------------


def test_users_list(admin, world):
    body = text(admin.get("/admin/users"))
    assert ADMIN in body and MANAGER in body
    assert f"Offices: {ALPHA}" in body and "everything" in body
    assert f"/admin/users/{world['manager'].id}/deactivate" in body
    assert f"/admin/users/{world['admin'].id}/deactivate" not in body  # not for oneself


def test_create_a_user(admin, new_client, session, world):
    assert admin.get("/admin/users/new").status_code == 200
    response = post(
        admin,
        "/admin/users/new",
        {
            "email": " New.Manager@Example.gov ",
            "role": "manager",
            "password": "a-long-initial-password",
            "offices": [world["bravo"].id],
            "locations": [world["a1"].id],
        },
    )
    assert response.status_code == 302 and response.location == "/admin/users"
    fresh(session)
    user = session.scalar(select(User).where(User.email == "new.manager@example.gov"))
    assert user.role == "manager" and user.active
    assert [o.name for o in user.offices] == [BRAVO] and [loc.code for loc in user.locations] == ["AAA-1"]
    assert users.scope_location_ids(session, user) == {world["a1"].id, world["b1"].id}
    (entry,) = audit_entries(session, "user.create")
    assert entry.details == {
        "email": [None, "new.manager@example.gov"],
        "role": [None, "manager"],
        "offices": [None, [BRAVO]],
        "locations": [None, ["AAA-1"]],
    }
    assert "a-long-initial-password" not in str(entry.details)
    # The initial password works.
    assert sign_in(new_client(), "new.manager@example.gov", "a-long-initial-password").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": MANAGER.upper()}, "A user with this e-mail already exists."),
        ({"email": "not-an-address"}, "Not an e-mail address."),
        ({"password": "short"}, "Field must be between 10 and 200 characters long."),
        ({"role": "superuser"}, "Not a valid choice."),
        ({"offices": ["999999"]}, "'999999' is not a valid choice for this field."),
    ],
)
def test_invalid_user_is_refused(admin, session, world, overrides, message):
    before = count(session, User)
    data = {"email": "someone@example.gov", "role": "manager", "password": "a-long-initial-password"} | overrides
    response = post(admin, "/admin/users/new", data)
    assert response.status_code == 422
    assert message in field_errors(response), field_errors(response)
    assert count(session, User) == before
    assert audit_entries(session) == []


def test_edit_role_and_assignments(admin, session, world):
    manager_id = world["manager"].id
    form = admin.get(f"/admin/users/{manager_id}/edit")
    assert form.status_code == 200
    boxes = re.findall(r'<input[^>]*name="offices"[^>]*>', form.get_data(as_text=True))
    assert [b for b in boxes if "checked" in b] == [b for b in boxes if f'value="{world["alpha"].id}"' in b]
    response = post(
        admin,
        f"/admin/users/{manager_id}/edit",
        {"role": "manager", "offices": [world["bravo"].id], "locations": [world["a2"].id]},
    )
    assert response.status_code == 302
    user = get(session, User, manager_id)
    assert [o.name for o in user.offices] == [BRAVO] and [loc.code for loc in user.locations] == ["AAA-2"]
    (entry,) = audit_entries(session, "user.update")
    assert entry.details == {"offices": [[ALPHA], [BRAVO]], "locations": [[], ["AAA-2"]]}
    response = post(admin, f"/admin/users/{manager_id}/edit", {"role": "admin"})
    assert response.status_code == 302
    user = get(session, User, manager_id)
    assert user.role == "admin" and user.offices == [] and user.locations == []
    entry = audit_entries(session, "user.update")[-1]
    assert entry.details == {"role": ["manager", "admin"], "offices": [[BRAVO], []], "locations": [["AAA-2"], []]}


def test_admin_cannot_change_their_own_role_or_deactivate_themselves(admin, session, world):
    admin_id = world["admin"].id
    response = post(admin, f"/admin/users/{admin_id}/edit", {"role": "manager"})
    assert response.status_code == 422
    assert "You cannot change your own role." in field_errors(response)
    refused = post(admin, f"/admin/users/{admin_id}/deactivate")
    assert refused.status_code == 422
    assert "You cannot deactivate yourself." in text(refused)
    user = get(session, User, admin_id)
    assert user.role == "admin" and user.active
    assert audit_entries(session) == []


def test_deactivate_and_reactivate_a_user(admin, new_client, session, world, build):
    manager_id = world["manager"].id
    with write_transaction(session):
        _token, secret = add_api_token(session, session.get(User, manager_id), "script")
    signed_in = new_client()
    assert sign_in(signed_in, MANAGER).status_code == 302
    asked = post(admin, f"/admin/users/{manager_id}/deactivate")  # no confirm=1: the confirmation page
    assert asked.status_code == 200 and "can no longer sign in" in text(asked)
    assert get(session, User, manager_id).active is True
    response = post(admin, f"/admin/users/{manager_id}/deactivate", {"confirm": "1"})
    assert response.status_code == 302
    assert get(session, User, manager_id).active is False
    assert signed_in.get("/admin/").status_code == 302  # signed out at once
    assert sign_in(new_client(), MANAGER).status_code == 401
    assert get(session, ApiToken, _token.id).revoked_at is not None
    (entry,) = audit_entries(session, "user.deactivate")
    assert entry.details == {"active": [True, False], "api_tokens_revoked": [None, 1]}
    assert "deactivated" in text(admin.get("/admin/users"))

    assert post(admin, f"/admin/users/{manager_id}/activate").status_code == 302
    assert get(session, User, manager_id).active is True
    assert audit_entries(session, "user.activate")[0].details == {"active": [False, True]}
    assert sign_in(new_client(), MANAGER).status_code == 302
    assert api_tokens.authenticate_api_token(session, secret) is None  # revoked tokens stay revoked


def test_users_are_admin_only(manager, session, world):
    admin_id = world["admin"].id
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{admin_id}/edit"):
        assert manager.get(path).status_code == 403, path
    assert (
        post(
            manager,
            "/admin/users/new",
            {"email": "x@example.gov", "role": "admin", "password": "a-long-initial-password"},
        ).status_code
        == 403
    )
    assert post(manager, f"/admin/users/{world['manager'].id}/edit", {"role": "admin"}).status_code == 403
    assert post(manager, f"/admin/users/{admin_id}/deactivate").status_code == 403
    assert get(session, User, world["manager"].id).role == "manager"
    assert get(session, User, admin_id).active
    assert count(session, User) == 2
    assert audit_entries(session) == []


# --- CSRF on every form -----------------------------------------------------------------------


def test_every_management_form_without_csrf_token_is_refused(admin, manager, session, world):
    with write_transaction(session):
        token, _ = add_api_token(session, session.get(User, world["admin"].id), "mine")
    alpha, survey, a1 = world["alpha"], world["survey"], world["a1"]
    posts = [
        ("/admin/offices/new", office_data()),
        (f"/admin/offices/{alpha.id}/edit", office_data(name="Renamed")),
        ("/admin/locations/new", location_data(office=alpha.id, survey=survey.id)),
        ("/admin/locations/AAA-1/edit", {"name": "Renamed", "active": "y"}),
        ("/admin/surveys/new", survey_data(name="Another")),
        (f"/admin/surveys/{survey.id}", survey_data(question_en="Changed?")),
        (f"/admin/surveys/{survey.id}/assign", {"locations": [world["b1"].id]}),
        ("/admin/kiosks/enrol", {"location": a1.id, "label": "x"}),
        (f"/admin/kiosks/{world['kiosk_a'].id}/link", {}),
        (f"/admin/kiosks/{world['kiosk_a'].id}/revoke", {}),
        ("/admin/users/new", {"email": "x@example.gov", "role": "admin", "password": "a-long-initial-password"}),
        (f"/admin/users/{world['manager'].id}/edit", {"role": "admin"}),
        (f"/admin/users/{world['manager'].id}/deactivate", {}),
        (f"/admin/users/{world['manager'].id}/activate", {}),
        ("/admin/tokens", {"name": "sneaky"}),
        (f"/admin/tokens/{token.id}/revoke", {}),
    ]
    for path, data in posts:
        assert admin.post(path, data=data).status_code == 400, path
        assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    # Managers' forms too.
    assert manager.post("/admin/locations/AAA-1/edit", data={"name": "Renamed", "active": "y"}).status_code == 400
    assert manager.post("/admin/tokens", data={"name": "sneaky"}).status_code == 400
    assert audit_entries(session) == []
    assert count(session, Office) == 2 and count(session, Location) == 3 and count(session, User) == 2
    assert count(session, Device) == 2 and count(session, EnrollmentCode) == 0 and count(session, ApiToken) == 1
    assert len(versions(session, survey.id)) == 1
    assert get(session, Location, a1.id).name == "Counter"
    assert get(session, ApiToken, token.id).revoked_at is None
    assert get(session, Device, world["kiosk_a"].id).revoked_at is None


# --- pages keep to the CSP and need sign-in ---------------------------------------------------

PAGES = [
    "/admin/offices",
    "/admin/offices/new",
    "/admin/locations",
    "/admin/locations/new",
    "/admin/locations/AAA-1/edit",
    "/admin/surveys",
    "/admin/surveys/new",
    "/admin/kiosks",
    "/admin/users",
    "/admin/users/new",
    "/admin/tokens",
    "/admin/audit",
]


def test_pages_have_no_inline_style_or_script(admin, world):
    for path in [
        *PAGES,
        f"/admin/offices/{world['alpha'].id}/edit",
        f"/admin/surveys/{world['survey'].id}",
        f"/admin/users/{world['manager'].id}/edit",
    ]:
        response = admin.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert "style=" not in body and "<style" not in body, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert not re.search(r"\son[a-z]+=", body), path  # no inline event handlers
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_pages_need_sign_in(client, world):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/admin/login"), path


def test_menu_links_the_management_pages(admin, manager):
    admin_menu = admin.get("/admin/").get_data(as_text=True)
    for path in (
        "/admin/locations",
        "/admin/kiosks",
        "/admin/offices",
        "/admin/surveys",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
    ):
        assert f'href="{path}"' in admin_menu, path
    manager_menu = manager.get("/admin/").get_data(as_text=True)
    for path in ("/admin/locations", "/admin/kiosks", "/admin/tokens"):
        assert f'href="{path}"' in manager_menu, path
    for path in ("/admin/offices", "/admin/surveys", "/admin/users", "/admin/audit"):
        assert f'href="{path}"' not in manager_menu, path


def test_survey_button_labels_per_language_make_a_new_version(client, session, build, make_user):
    """Custom labels reach the kiosk config; a wrong count is refused with 422 and nothing changes."""
    from feedback.models import Survey as SurveyModel
    from feedback.models import SurveyVersion as VersionModel
    from feedback.services.kiosk_config import texts
    from tests.admin.conftest import csrf_token, sign_in

    survey = build.survey(scale="thumbs", followup=())
    make_user("labels.admin@example.gov", "admin")
    assert sign_in(client, "labels.admin@example.gov").status_code == 302
    url = f"/admin/surveys/{survey.id}"
    base = {
        "question_en": "Did we help you today?",
        "question_es": "¿Le ayudamos hoy?",
        "scale": "thumbs",
        "csrf_token": csrf_token(client, url),
    }
    bad = client.post(url, data=base | {"labels_en": "Only one"})
    assert bad.status_code == 422
    session.rollback()
    assert len(session.scalars(select(VersionModel).where(VersionModel.survey_id == survey.id)).all()) == 1
    good = client.post(url, data=base | {"labels_en": "No\nYes", "labels_es": "No\nSí"})
    assert good.status_code == 302
    session.rollback()
    session.expire_all()
    version = session.get(SurveyModel, survey.id).current_version()
    assert version.version == 2 and version.labels == {"en": ["No", "Yes"], "es": ["No", "Sí"]}
    assert texts(version, "es")["labels"] == ["No", "Sí"]
    assert texts(version, "en")["labels"] == ["No", "Yes"]


# --- service standards: office and location targets, public scoreboard, Federal Register notice -----


def test_admin_sets_an_offices_service_standards(admin, session, world):
    alpha = world["alpha"]
    data = (
        office_data(name=ALPHA, tz="America/Chicago")
        | hours.opening_hours_text(alpha)
        | {
            "csat_target": "87.5",
            "weekly_response_target": "25",
            "service_provided": " Passport application ",
            "scoreboard_public": "y",
        }
    )
    response = post(admin, f"/admin/offices/{alpha.id}/edit", data)
    assert response.status_code == 302
    office = get(session, Office, alpha.id)
    assert (office.csat_target, office.weekly_response_target, office.service_provided, office.scoreboard_public) == (
        0.875,
        25,
        "Passport application",
        True,
    )
    (entry,) = audit_entries(session, "office.update")
    assert entry.details == {
        "csat_target": [None, 0.875],
        "weekly_response_target": [None, 25],
        "service_provided": [None, "Passport application"],
        "scoreboard_public": [False, True],
    }
    form = text(admin.get(f"/admin/offices/{alpha.id}/edit"))
    assert 'value="87.5"' in form and 'value="25"' in form and 'value="Passport application"' in form
    assert re.search(
        r'<input[^>]*checked[^>]*name="scoreboard_public"|<input[^>]*name="scoreboard_public"[^>]*checked', form
    )
    assert "Publish a public scoreboard at /scores/&lt;slug&gt;" in admin.get(
        f"/admin/offices/{alpha.id}/edit"
    ).get_data(as_text=True)
    assert f'href="/scores/{alpha.slug}"' in form
    listing = text(admin.get("/admin/offices"))
    assert "CSAT target 87.5 %; 25 responses a week per location" in listing
    assert f'<a href="/scores/{alpha.slug}">Public scoreboard</a>' in listing


def test_unticking_the_scoreboard_and_clearing_targets(admin, session, world):
    alpha = world["alpha"]
    with write_transaction(session):
        office = session.get(Office, alpha.id)
        office.csat_target, office.weekly_response_target, office.scoreboard_public = 0.8, 10, True
    data = (
        office_data(name=ALPHA, tz="America/Chicago")
        | hours.opening_hours_text(alpha)
        | {"csat_target": "", "weekly_response_target": ""}
    )  # an unticked box is not sent
    assert post(admin, f"/admin/offices/{alpha.id}/edit", data).status_code == 302
    office = get(session, Office, alpha.id)
    assert (office.csat_target, office.weekly_response_target, office.scoreboard_public) == (None, None, False)
    (entry,) = audit_entries(session, "office.update")
    assert entry.details == {
        "csat_target": [0.8, None],
        "weekly_response_target": [10, None],
        "scoreboard_public": [True, False],
    }


def test_new_office_with_standards(admin, session, world):
    data = office_data() | {"csat_target": "90", "weekly_response_target": "40", "service_provided": "Visas"}
    assert post(admin, "/admin/offices/new", data).status_code == 302
    fresh(session)
    office = session.scalar(select(Office).where(Office.name == "Charlie Visa Office"))
    assert (office.csat_target, office.weekly_response_target, office.service_provided, office.scoreboard_public) == (
        0.9,
        40,
        "Visas",
        False,
    )  # the scoreboard is opt-in
    (entry,) = audit_entries(session, "office.create")
    assert entry.details["csat_target"] == [None, 0.9] and entry.details["weekly_response_target"] == [None, 40]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"csat_target": "101"}, "csat_target", "Number must be between 0 and 100"),
        ({"weekly_response_target": "0"}, "weekly_response_target", "Number must be between 1 and 100000"),
        ({"weekly_response_target": "2.5"}, "weekly_response_target", "Not a valid integer value"),
        ({"service_provided": "x" * 201}, "service_provided", "Field cannot be longer than 200 characters"),
    ],
)
def test_invalid_office_standards_are_refused(admin, session, world, change, field, message):
    alpha = world["alpha"]
    data = (
        office_data(name=ALPHA, tz="America/Chicago")
        | hours.opening_hours_text(alpha)
        | {"scoreboard_public": "y"}
        | change
    )
    response = post(admin, f"/admin/offices/{alpha.id}/edit", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert any(message in e for e in field_errors(response)), field_errors(response)
    office = get(session, Office, alpha.id)
    assert (office.csat_target, office.weekly_response_target, office.scoreboard_public) == (None, None, False)
    assert audit_entries(session) == []


def test_service_checks_standards_and_keeps_what_callers_leave_out(session, world):
    admin = get(session, User, world["admin"].id)
    alpha = world["alpha"]
    with pytest.raises(InvalidInput) as refused:
        offices.update_office(
            session,
            admin,
            alpha.id,
            name=ALPHA,
            timezone="America/Chicago",
            opening_hours=WEEKDAYS_0830,
            weekly_response_target=-3,
            service_provided="x" * 201,
        )
    assert set(refused.value.errors) == {"weekly_response_target", "service_provided"}
    session.rollback()
    with write_transaction(session):
        offices.update_office(
            session,
            admin,
            alpha.id,
            name=ALPHA,
            timezone="America/Chicago",
            opening_hours=WEEKDAYS_0830,
            csat_target_percent="85",
            weekly_response_target=12,
            scoreboard_public=True,
        )
    with write_transaction(session):  # a caller that knows nothing of standards (e.g. an older script)
        changed = offices.update_office(
            session, admin, alpha.id, name="Alpha Agency", timezone="America/Chicago", opening_hours=WEEKDAYS_0830
        )
    assert changed == {"name": [ALPHA, "Alpha Agency"]}
    office = get(session, Office, alpha.id)
    assert (office.csat_target, office.weekly_response_target, office.scoreboard_public) == (0.85, 12, True)


def test_location_weekly_target_and_service(manager, session, world):
    with write_transaction(session):
        office = session.get(Office, world["alpha"].id)
        office.weekly_response_target, office.service_provided = 20, "Passport application"
    form = text(manager.get("/admin/locations/AAA-1/edit"))
    assert "20 responses a week" in form and "“Passport application”" in form  # what empty fields inherit
    response = post(
        manager,
        "/admin/locations/AAA-1/edit",
        {
            "name": "Counter",
            "active": "y",
            "csat_target": "",
            "weekly_response_target": "35",
            "service_provided": "Passport renewal",
        },
    )
    assert response.status_code == 302
    location = get(session, Location, world["a1"].id)
    assert (location.weekly_response_target, location.service_provided) == (35, "Passport renewal")
    assert (location.effective_weekly_response_target, location.effective_service_provided) == (35, "Passport renewal")
    (entry,) = audit_entries(session, "location.update")
    assert entry.details == {"weekly_response_target": [None, 35], "service_provided": [None, "Passport renewal"]}
    assert 'value="35"' in text(manager.get("/admin/locations/AAA-1/edit"))
    # cleared: the office's values apply again
    assert post(manager, "/admin/locations/AAA-1/edit", {"name": "Counter", "active": "y"}).status_code == 302
    location = get(session, Location, world["a1"].id)
    assert (location.weekly_response_target, location.service_provided) == (None, None)
    assert (location.effective_weekly_response_target, location.effective_service_provided) == (
        20,
        "Passport application",
    )
    refused = post(
        manager, "/admin/locations/AAA-1/edit", {"name": "Counter", "active": "y", "weekly_response_target": "-1"}
    )
    assert refused.status_code == 422 and 'id="weekly_response_target-error"' in refused.get_data(as_text=True)


def test_new_location_with_weekly_target(admin, session, world):
    data = location_data(
        office=world["alpha"].id,
        survey=world["survey"].id,
        weekly_response_target="15",
        service_provided="Passport pick-up",
    )
    assert post(admin, "/admin/locations/new", data).status_code == 302
    fresh(session)
    location = session.scalar(select(Location).where(Location.code == "AAA-3"))
    assert (location.weekly_response_target, location.service_provided) == (15, "Passport pick-up")
    (entry,) = audit_entries(session, "location.create")
    assert entry.details["weekly_response_target"] == [None, 15]
    assert entry.details["service_provided"] == [None, "Passport pick-up"]


def test_federal_register_url_makes_a_new_survey_version(admin, session, world):
    survey_id = world["survey"].id
    url = "https://www.federalregister.gov/documents/2026/03/02/2026-04123/agency-information-collection"
    assert post(admin, f"/admin/surveys/{survey_id}", survey_data(federal_register_url=url)).status_code == 302
    first, second = versions(session, survey_id)
    assert (first.federal_register_url, second.federal_register_url) == (None, url)
    assert second.question["en"] == first.question["en"]  # everything else carried over
    (entry,) = audit_entries(session, "survey.update")
    assert entry.details == {"version": [1, 2], "federal_register_url": [None, url]}
    page = text(admin.get(f"/admin/surveys/{survey_id}"))
    assert f'value="{url}"' in page
    assert f'<a href="{url}" rel="noopener noreferrer">Federal Register notice</a>' in page
    # the same address again: no new version
    assert post(admin, f"/admin/surveys/{survey_id}", survey_data(federal_register_url=url)).status_code == 302
    assert len(versions(session, survey_id)) == 2


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "federalregister.gov/d/2026-1", "https://" + "x" * 500])
def test_invalid_federal_register_url_is_refused(admin, session, world, bad):
    response = post(admin, f"/admin/surveys/{world['survey'].id}", survey_data(federal_register_url=bad))
    assert response.status_code == 422
    assert 'id="federal_register_url-error"' in response.get_data(as_text=True)
    assert len(versions(session, world["survey"].id)) == 1
    assert audit_entries(session) == []


def test_service_refuses_a_federal_register_url_that_is_not_a_web_address():
    with pytest.raises(InvalidInput) as refused:
        surveys.survey_fields(scale="faces5", question_en="How did we do?", federal_register_url="ftp://x.gov/a")
    assert "federal_register_url" in refused.value.errors
    fields = surveys.survey_fields(
        scale="faces5",
        question_en="How did we do?",
        federal_register_url=" https://www.federalregister.gov/d/2026-04123 ",
    )
    assert fields.federal_register_url == "https://www.federalregister.gov/d/2026-04123"
