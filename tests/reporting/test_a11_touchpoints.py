"""Issue 12, items 1-5 and 8-10: A-11 files that Touchpoints accepts, with its vocabulary and meanings.

The files are read the way an agency gets them (``flask export a11`` into a folder, or the admin
site's zip) and checked against Touchpoints' own rules (``tests.reporting.touchpoints_check``).
Expected values are worked out by hand in each test. On the code before this change the thumbs test
failed on its values (``question_1`` was the stored 2/1) and the others failed because the survey
role, the per-detail files and their checks did not exist.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services import a11, a11_files, locations, surveys
from feedback.services.errors import InvalidInput
from feedback.services.fiscal import FiscalQuarter
from feedback.touchpoints import A11_V2
from tests.admin.conftest import sign_in
from tests.builders import TESTER, add_survey_version
from tests.reporting.conftest import F7, TRUST, a11_place, enter_volume, export_folder, read_csv, store
from tests.reporting.touchpoints_check import UPLOAD_HEADERS, check_collection_row, check_upload

Q1 = FiscalQuarter.parse("FY2027Q1")


def _uploads(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if "responses" in name}


def _collection(files: dict[str, bytes]) -> list[dict[str, str]]:
    [data] = [data for name, data in files.items() if "collection" in name]
    header, *rows = read_csv(data.decode("utf-8"))
    return [dict(zip(header, row, strict=True)) for row in rows]


OTHER_TRUST = {"en": "I trust the Agency to help me."}


def _new_version(session, location, scale: str, question: dict, **kwargs):
    """An edit of the location's A-11 survey: a new version with this scale and question."""
    with write_transaction(session):
        return add_survey_version(
            session, location.survey, scale=scale, question=question, followup_choices=F7, a11_role=A11_V2, **kwargs
        )


def _named(session, office_id, provider="Passport Services", service="Passport application"):
    with write_transaction(session):
        office = session.get(Office, office_id)
        office.service_provider, office.service_provided = provider, service


# --- item 1: thumbs are 1 up, 0 down -------------------------------------------------------------


def test_thumbs_are_exported_as_1_up_and_0_down(runner, session, build, tmp_path):
    office = build.office(tz="America/Chicago")
    location, version = a11_place(session, build, "THU-1", office, scale="thumbs")
    # Stored 2 = up, 1 = down (worst to best), as every scale is stored.
    store(session, location, version, [((2026, 10, 2, 9, 0), "kiosk", 2), ((2026, 10, 2, 9, 5), "kiosk", 1)])
    [data] = _uploads(export_folder(runner, "FY2027Q1", tmp_path)).values()
    rows = check_upload("upload.csv", data, "thumbs_up_down")
    assert [r["question_1"] for r in rows] == ["1", "0"]
    [row] = _collection(export_folder(runner, "FY2027Q1", tmp_path / "again"))
    assert (row["survey_type"], row["volume_of_respondents"]) == ("thumbs_up_down", "2")


def test_five_points_are_1_to_5_and_drivers_are_1_0_or_null(runner, session, build, tmp_path):
    office = build.office(tz="America/Chicago")
    six = ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"]
    location, version = a11_place(session, build, "FIV-1", office, followup=six)
    store(
        session,
        location,
        version,
        [((2026, 10, 2, 9, 0), "qr", 5, six, ["ease"]), ((2026, 10, 2, 9, 5), "kiosk", 3, six, ["efficiency"])],
    )
    rows = [
        r
        for data in _uploads(export_folder(runner, "FY2027Q1", tmp_path)).values()
        for r in check_upload("f.csv", data, "likert_scale")
    ]
    by_q1 = {r["question_1"]: r for r in rows}
    assert set(by_q1) == {"5", "3"}
    # 5 is positive: ease chosen there; the version offers six drivers, so 0 elsewhere and "null" for other.
    assert [by_q1["5"][f"positive_{d}"] for d in ("effectiveness", "ease", "other")] == ["0", "1", "null"]
    assert by_q1["5"]["negative_ease"] == "0" and by_q1["5"]["negative_other"] == "null"
    assert by_q1["3"]["negative_efficiency"] == "1" and by_q1["3"]["positive_efficiency"] == "0"


# --- item 2: one upload per collection detail ----------------------------------------------------


def test_one_upload_per_detail_with_exactly_the_17_headers(runner, session, build, tmp_path, client, make_user):
    """Two counters of one service and its phone channel: two details (kiosk, mobile), two files; a
    third counter of another service, a third file. Each passes the upload check; nothing else is in
    them (suspects and spam go to the worksheet)."""
    office = build.office(tz="America/Chicago")
    _named(session, office.id)
    survey_location, version = a11_place(session, build, "SVC-1", office)
    second = build.location(code="SVC-2", office=office, survey=survey_location.survey)
    other, other_version = a11_place(session, build, "OTH-1", office, scale="thumbs")
    with write_transaction(session):
        session.get(Location, other.id).service_provided = "Passport pick-up"
    store(
        session,
        survey_location,
        version,
        [((2026, 10, 2, 9, 0), "kiosk", 5), ((2026, 10, 2, 9, 0, 1), "kiosk", 5, [], [], True)],
        start=1,
    )
    store(session, second, version, [((2026, 10, 3, 9, 0), "kiosk", 4), ((2026, 10, 3, 9, 30), "qr", 2)], start=10)
    store(session, other, other_version, [((2026, 10, 4, 9, 0), "kiosk", 2)], start=20)

    files = export_folder(runner, "FY2027Q1", tmp_path)
    uploads = _uploads(files)
    collection = _collection(files)
    assert len(uploads) == len(collection) == 3
    assert sorted(uploads) == [
        "a11-FY2027Q1-responses-passport-application-mobile.csv",
        "a11-FY2027Q1-responses-passport-application-self-service-kiosk.csv",
        "a11-FY2027Q1-responses-passport-pick-up-self-service-kiosk.csv",
    ]
    counts = {}
    for name, data in uploads.items():
        assert not data.startswith(b"\xef\xbb\xbf") and data.split(b"\r\n", 1)[0].decode() == ",".join(UPLOAD_HEADERS)
        counts[name.rsplit("responses-", 1)[1]] = len(
            check_upload(name, data, "likert_scale" if "application" in name else "thumbs_up_down")
        )
    assert counts == {
        "passport-application-mobile.csv": 1,
        "passport-application-self-service-kiosk.csv": 2,  # SVC-1 and SVC-2 together; the suspect left out
        "passport-pick-up-self-service-kiosk.csv": 1,
    }
    assert sorted((r["service_name"], r["channel"], r["volume_of_respondents"]) for r in collection) == [
        ("Passport application", "mobile", "1"),
        ("Passport application", "self_service_kiosk", "2"),
        ("Passport pick-up", "self_service_kiosk", "1"),
    ]
    worksheet = read_csv(files["a11-FY2027Q1-worksheet.csv"].decode())
    assert worksheet[0][worksheet[0].index("suspect_respondents")] == "suspect_respondents"
    # The admin site's zip holds the very same files.
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    response = client.get("/admin/reporting/FY2027Q1/a11.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="a11-FY2027Q1.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert {name: archive.read(name) for name in archive.namelist()} == files


# --- item 3: Touchpoints' vocabulary -------------------------------------------------------------


def test_collection_rows_use_touchpoints_vocabulary(runner, session, build, tmp_path):
    office = build.office(tz="America/Chicago")
    _named(session, office.id, provider="Department of State - Passport Services")
    location, version = a11_place(session, build, "VOC-1", office, omb_control_number="1405-0001")
    store(session, location, version, [((2026, 10, 2, 9, 0), "kiosk", 5), ((2026, 10, 2, 9, 30), "qr", 4)])
    rows = {r["channel"]: r for r in _collection(export_folder(runner, "FY2027Q1", tmp_path))}
    assert set(rows) == {"self_service_kiosk", "mobile"}  # the defaults for a kiosk and a QR phone answer
    for row in rows.values():
        check_collection_row(row)
        assert row["transaction_point"] == "post_interaction"  # a counter survey, right after the visit
        assert row["survey_type"] == "likert_scale"
        assert row["cx_collection_service_provider_name"] == "Department of State - Passport Services"
        assert row["service_name"] == "Passport application"
        assert row["survey_title"] == "A-11 survey VOC-1"
        assert row["trust_question_text"] == TRUST["en"]
        assert (row["cx_collection_fiscal_year"], row["cx_collection_quarter"]) == ("2027", "1")
    # A staffed tablet: the location reports its kiosk answers as in-person, from Touchpoints' list only.
    actor, _ = build.user_token()
    with write_transaction(session):
        locations.update_location(
            session, actor, location.id, name="Counter", active=True, a11_channel_kiosk="in_person"
        )
    with pytest.raises(InvalidInput) as refused, write_transaction(session):
        locations.update_location(
            session, actor, location.id, name="Counter", active=True, a11_channel_qr="carrier pigeon"
        )
    assert "a11_channel_qr" in refused.value.errors
    rows = {r["channel"] for r in _collection(export_folder(runner, "FY2027Q1", tmp_path / "2"))}
    assert rows == {"in_person", "mobile"}


# --- items 4 and 5: the A-11 role, and scales A-11 cannot take -------------------------------------


def test_only_surveys_built_from_the_a11_template_are_reported(runner, session, build, tmp_path, client, make_user):
    """A 5-point satisfaction survey without the role is left out with its reason, never relabelled
    as the trust question; the template survey next to it is reported."""
    office = build.office(tz="America/Chicago")
    plain = build.location(code="SAT-1", office=office, scale="faces5")
    trusted, version = a11_place(session, build, "TRU-1", office)
    store(session, plain, plain.survey.current_version(), [((2026, 10, 2, 9, 0), "kiosk", 5)], start=1)
    store(session, trusted, version, [((2026, 10, 2, 9, 0), "kiosk", 4)], start=2)
    files = export_folder(runner, "FY2027Q1", tmp_path)
    [row] = _collection(files)
    assert row["volume_of_respondents"] == "1" and row["trust_question_text"] == TRUST["en"]
    [data] = _uploads(files).values()
    assert [r["external_id"][-2:] for r in check_upload("f.csv", data, "likert_scale")] == ["02"]
    worksheet = files["a11-FY2027Q1-worksheet.csv"].decode()
    assert "SAT-1 kiosk" in worksheet and "not built from the A-11 v2 template" in worksheet
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    page = client.get("/admin/reporting?quarter=FY2027Q1").get_data(as_text=True)
    assert re.search(
        r"<strong>SAT-1</strong> Kiosk: 1 counted answers left out: .*not built from the A-11 v2 template", page
    )


def test_the_role_needs_the_template(session):
    good = surveys.survey_fields(scale="thumbs", question_en=TRUST["en"], followup_choices=F7, a11_role=A11_V2)
    assert good.a11_role == A11_V2
    with pytest.raises(InvalidInput) as refused:
        surveys.survey_fields(
            scale="faces4", question_en="How did we do today?", followup_choices=["humanity"], a11_role=A11_V2
        )
    errors = refused.value.errors
    assert "cannot be reported as A-11 question 1" in errors["scale"][0]
    assert "effectiveness, ease, efficiency" in errors["followup_choices"][0]
    assert "trust question" in errors["question_en"][0]
    with pytest.raises(InvalidInput):  # the write path checks again, whoever built the fields
        surveys.create_survey(session, TESTER, name="x", fields=dataclasses.replace(good, scale="three"))


@pytest.mark.parametrize(("scale", "points"), [("faces4", 4), ("three", 3)])
def test_4_and_3_point_scales_are_flagged_when_the_survey_is_chosen(client, session, build, make_user, scale, points):
    """Before the quarter has a single answer, the reporting page says the counter's answers will not
    be reported, and why."""
    office = build.office(tz="America/Chicago")
    location = build.location(code=f"PT{points}-1", office=office, scale=scale)
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    today = datetime.now(UTC).astimezone(office.tz).date()
    page = client.get(f"/admin/reporting?quarter={FiscalQuarter.of(today).next()}").get_data(as_text=True)
    row = page[page.index(f'data-code="{location.code}"') :]
    row = row[: row.index("</tr>")]
    assert "Not reported" in row
    assert f"its {points}-point scale cannot be reported as A-11 question 1" in row


# --- item 8: the version counted answers answered -----------------------------------------------


def test_the_collection_names_a_version_counted_answers_answered(session, build):
    office = build.office(tz="America/Chicago")
    location, v1 = a11_place(session, build, "VER-1", office, omb_control_number="1405-0001")
    v2 = _new_version(session, location, "faces5", TRUST, omb_control_number="1405-0002")
    store(session, location, v1, [((2026, 10, 2, 9, 0), "kiosk", 5)], start=1)
    # Later answers to version 2, but a repeat tap and spam: they do not count.
    store(session, location, v2, [((2026, 11, 2, 9, 0), "kiosk", 1, [], [], True)], start=2)
    report = a11.report(session, [location.id], Q1)
    [detail] = report.details
    assert (detail.version.id, detail.version.omb_control_number, detail.respondents) == (v1.id, "1405-0001", 1)
    assert detail.suspects == 1


# --- item 9: a question change within the quarter ------------------------------------------------


def test_a_question_change_mid_quarter_is_flagged_and_another_scale_left_out(session, build, client, make_user):
    office = build.office(tz="America/Chicago")
    location, v1 = a11_place(session, build, "CHG-1", office)
    v2 = _new_version(session, location, "faces5", OTHER_TRUST)
    v3 = _new_version(session, location, "thumbs", OTHER_TRUST)
    store(session, location, v1, [((2026, 10, 2, 9, 0), "kiosk", 5)], start=1)
    store(session, location, v2, [((2026, 11, 2, 9, 0), "kiosk", 4)], start=2)
    store(session, location, v3, [((2026, 12, 2, 9, 0), "kiosk", 2)], start=3)
    [detail] = a11.report(session, [location.id], Q1).details
    # The version answered last is thumbs: the file holds the thumbs answer; the two 5-point ones are
    # left out (one file, one scale), and the three question versions are named.
    assert (detail.survey_type, detail.respondents, dict(detail.left_out)) == ("thumbs_up_down", 1, {"other_scale": 2})
    problems = " | ".join(detail.problems())
    assert "The question changed this quarter: counted answers span 3 versions" in problems
    assert "2 answers on another scale left out" in problems
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    page = client.get("/admin/reporting?quarter=FY2027Q1").get_data(as_text=True)
    assert "The question changed this quarter" in page


def test_only_the_text_changed_is_flagged_too(session, build):
    office = build.office(tz="America/Chicago")
    location, v1 = a11_place(session, build, "TXT-1", office)
    v2 = _new_version(session, location, "faces5", OTHER_TRUST)
    store(session, location, v1, [((2026, 10, 2, 9, 0), "kiosk", 5)], start=1)
    store(session, location, v2, [((2026, 11, 2, 9, 0), "kiosk", 4)], start=2)
    [detail] = a11.report(session, [location.id], Q1).details
    assert detail.respondents == 2 and not detail.left_out[a11.OTHER_SCALE]
    assert any("span 2 versions" in p for p in detail.problems())


# --- item 10: respondents <= offered <= served -----------------------------------------------------


def test_volumes_are_checked_against_respondents(session, build, client, make_user):
    office = build.office(tz="America/Chicago")
    location, version = a11_place(session, build, "VOL-1", office)
    store(session, location, version, [((2026, 10, 2, 9, k), "kiosk", 5) for k in range(3)])
    enter_volume(session, location, 10, 2)
    [detail] = a11.report(session, [location.id], Q1).details
    assert detail.volume_problems() == ["3 respondents but only 2 offered the survey (respondents > offered)"]
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    page = client.get("/admin/reporting?quarter=FY2027Q1").get_data(as_text=True)
    assert "3 respondents but only 2 offered the survey" in page


def test_offered_above_served_over_several_counters_is_reported(session, build):
    """Each counter's figures are checked on entry; a detail's sums are checked again, and each
    counter's respondents against its own offered figure."""
    office = build.office(tz="America/Chicago")
    a, version = a11_place(session, build, "SUM-1", office)
    b = build.location(code="SUM-2", office=office, survey=a.survey)
    store(session, a, version, [((2026, 10, 2, 9, 0), "kiosk", 5), ((2026, 10, 2, 9, 1), "kiosk", 5)], start=1)
    store(session, b, version, [((2026, 10, 2, 9, 0), "kiosk", 5)], start=5)
    for loc, served, offered in ((a, 5, 1), (b, 5, 5)):
        enter_volume(session, loc, served, offered)
    [detail] = a11.report(session, [a.id, b.id], Q1).details
    assert (detail.volume("volume_of_customers"), detail.volume("volume_of_customers_provided_survey_opportunity")) == (
        10,
        6,
    )
    assert detail.volume_problems() == ["SUM-1 kiosk: 2 respondents but only 1 offered the survey"]


def test_a_detail_file_can_be_downloaded_alone_and_unknown_names_are_404(client, session, build, make_user):
    office = build.office(tz="America/Chicago")
    location, version = a11_place(session, build, "ONE-1", office)
    store(session, location, version, [((2026, 10, 2, 9, 0), "kiosk", 5)])
    make_user("admin@example.gov", "admin")
    sign_in(client, "admin@example.gov")
    [detail] = a11.report(session, [location.id], Q1).details
    response = client.get(f"/admin/reporting/FY2027Q1/files/{detail.file_name}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{detail.file_name}"'
    assert len(check_upload(detail.file_name, response.get_data(), "likert_scale")) == 1
    assert client.get("/admin/reporting/FY2027Q1/files/a11-FY2027Q1-responses-nothing.csv").status_code == 404
    page = client.get("/admin/reporting?quarter=FY2027Q1").get_data(as_text=True)
    assert f'href="/admin/reporting/FY2027Q1/files/{detail.file_name}"' in page
    assert a11_files.file_of(a11.report(session, [location.id], Q1), "x.csv") is None
