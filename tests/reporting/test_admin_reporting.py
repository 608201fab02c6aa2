"""The reporting page of the admin site: scope, CSRF, the volumes form, the import and the downloads."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import CustomerVolume
from feedback.services import a11_files
from tests.admin.conftest import changes, csrf_token, field_errors, fresh, sign_in
from tests.reporting.conftest import a11_place, read_csv, store

PAGE = "/admin/reporting?quarter=FY2027Q1"


@pytest.fixture
def world(session, build, make_user):
    office_a = build.office(name="Alpha Passport Agency", tz="America/Chicago")
    office_b = build.office(name="Bravo Licence Centre", tz="America/New_York")
    a, _ = a11_place(session, build, "AAA-1", office_a)
    b, _ = a11_place(session, build, "BBB-1", office_b)
    store(
        session,
        a,
        a.survey.current_version(),
        [((2026, 10, 5, 9, 0), "kiosk", 5), ((2026, 10, 5, 9, 1), "kiosk", 4, [], [], True)],
        start=1,
    )
    store(session, b, b.survey.current_version(), [((2026, 10, 5, 9, 0), "qr", 1)], start=3)
    manager = make_user("manager.a@example.gov", "manager")
    make_user("admin@example.gov", "admin")
    with write_transaction(session):
        session.get(type(manager), manager.id).offices = [office_a]
    return {"a": a, "b": b, "office_b": office_b}


def _post_volumes(client, data, url=PAGE):
    return client.post(url, data={"csrf_token": csrf_token(client, url)} | data)


def test_manager_sees_only_their_locations(client, world):
    sign_in(client, "manager.a@example.gov")
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "AAA-1" in body and "BBB-1" not in body and "Bravo" not in body
    assert 'href="/admin/reporting"' in body  # in the menu
    assert 'href="/admin/reporting/FY2027Q1/a11.zip"' in body
    assert 'href="/admin/reporting/FY2027Q1/a11-collection.csv"' in body
    assert 'href="/admin/reporting/FY2027Q1/a11-worksheet.csv"' in body
    # AAA-1 kiosk: 1 respondent, 1 suspect; the detail lists what is missing.
    assert re.search(r"Kiosk</td>\s*<td>1</td><td>1</td><td>0</td>", body)
    assert "Missing: cx_collection_service_provider_name, service_name, volume_of_customers (AAA-1 kiosk)" in body
    for query in ("location=BBB-1", f"office={world['office_b'].slug}"):
        assert client.get(f"{PAGE}&{query}").status_code == 404
        for kind in ("a11-collection.csv", "a11-worksheet.csv", "a11.zip"):
            assert client.get(f"/admin/reporting/FY2027Q1/{kind}?{query}").status_code == 404


def test_saving_the_form_stores_and_audits_the_volumes(client, session, world):
    sign_in(client, "manager.a@example.gov")
    a, b = world["a"], world["b"]
    response = _post_volumes(
        client,
        {
            f"served-{a.id}-kiosk": "1200",
            f"offered-{a.id}-kiosk": "1100",
            f"served-{a.id}-qr": "",
            f"offered-{a.id}-qr": "",
            # a field of office B's location is not in the form: ignored
            f"served-{b.id}-kiosk": "5",
            f"offered-{b.id}-kiosk": "5",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    fresh(session)
    stored = session.scalars(select(CustomerVolume)).all()
    assert [
        (
            v.location_id,
            v.channel,
            v.volume_of_customers,
            v.volume_of_customers_provided_survey_opportunity,
            v.updated_by,
        )
        for v in stored
    ] == [(a.id, "kiosk", 1200, 1100, "manager.a@example.gov")]
    audit = changes(session)
    assert [(e.action, e.actor, e.target_id, e.details["quarter"], e.details["channel"]) for e in audit] == [
        ("volume.create", "manager.a@example.gov", a.id, "FY2027Q1", "kiosk")
    ]
    page = client.get(PAGE).get_data(as_text=True)
    assert 'value="1200"' in page and "Saved the customer volumes of FY2027Q1 (1 changed)." in page


def test_bad_figures_show_errors_and_store_nothing(client, session, world):
    sign_in(client, "manager.a@example.gov")
    a = world["a"]
    response = _post_volumes(
        client, {f"served-{a.id}-kiosk": "10", f"offered-{a.id}-kiosk": "11", f"served-{a.id}-qr": "many"}
    )
    assert response.status_code == 422
    assert field_errors(response) == ["Not a valid integer value."]  # the form's check comes first
    response = _post_volumes(client, {f"served-{a.id}-kiosk": "10", f"offered-{a.id}-kiosk": "11"})
    assert response.status_code == 422
    assert field_errors(response) == ["Cannot be more than the customers served."]
    fresh(session)
    assert session.scalars(select(CustomerVolume)).all() == []
    assert changes(session) == []


def test_posts_without_csrf_token_are_refused(client, session, world):
    sign_in(client, "manager.a@example.gov")
    a = world["a"]
    assert client.post(PAGE, data={f"served-{a.id}-kiosk": "1"}).status_code == 400
    upload = {"file": (io.BytesIO(b"x"), "volumes.csv")}
    assert client.post("/admin/reporting/import?quarter=FY2027Q1", data=upload).status_code == 400
    fresh(session)
    assert session.scalars(select(CustomerVolume)).all() == []


def test_import_with_a_line_for_another_office_stores_nothing(client, session, world):
    sign_in(client, "manager.a@example.gov")
    text = (
        "location_code,fiscal_year,quarter,channel,volume_of_customers,"
        "volume_of_customers_provided_survey_opportunity\n"
        "AAA-1,2027,1,kiosk,1200,1100\nBBB-1,2027,1,qr,10,10\n"
    )
    url = "/admin/reporting/import?quarter=FY2027Q1"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, PAGE), "file": (io.BytesIO(text.encode()), "volumes.csv")}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Line 3:" in body and "location_code: unknown location BBB-1." in body
    assert "1 line(s) have errors; nothing was stored." in body
    fresh(session)
    assert session.scalars(select(CustomerVolume)).all() == []

    good = text.split("BBB-1")[0]
    response = client.post(
        url, data={"csrf_token": csrf_token(client, PAGE), "file": (io.BytesIO(good.encode()), "volumes.csv")}
    )
    assert response.status_code == 303
    fresh(session)
    assert session.scalar(select(CustomerVolume.volume_of_customers)) == 1200
    assert changes(session)[0].details["source"] == "import"
    assert client.post(url, data={"csrf_token": csrf_token(client, PAGE)}).status_code == 422  # no file


def test_downloads_are_scoped_and_named(client, world):
    sign_in(client, "manager.a@example.gov")
    collection = client.get("/admin/reporting/FY2027Q1/a11-collection.csv")
    assert collection.status_code == 200 and collection.mimetype == "text/csv"
    assert collection.headers["Content-Disposition"] == 'attachment; filename="a11-FY2027Q1-collection.csv"'
    rows = read_csv(collection.get_data(as_text=True))
    assert rows[0] == list(a11_files.COLLECTION_COLUMNS)
    assert [(r[5], r[8]) for r in rows[1:]] == [("self_service_kiosk", "1")]  # Alpha's only
    worksheet = read_csv(client.get("/admin/reporting/FY2027Q1/a11-worksheet.csv").get_data(as_text=True))
    assert [(r[5], r[8]) for r in worksheet[1:]] == [("AAA-1 kiosk", "1")]  # locations, suspects
    archive = zipfile.ZipFile(io.BytesIO(client.get("/admin/reporting/FY2027Q1/a11.zip").get_data()))
    [upload] = [name for name in archive.namelist() if "responses" in name]
    rows = read_csv(archive.read(upload).decode("utf-8"))
    assert rows[0] == list(a11_files.RESPONSE_HEADERS) and [r[1] for r in rows[1:]] == ["5"]
    assert not archive.read(upload).startswith(b"\xef\xbb\xbf")


def test_admin_sees_every_location_and_bad_quarters_are_refused(client, world):
    sign_in(client, "admin@example.gov")
    body = client.get(PAGE).get_data(as_text=True)
    assert "AAA-1" in body and "BBB-1" in body
    rows = read_csv(client.get("/admin/reporting/FY2027Q1/a11-collection.csv").get_data(as_text=True))
    assert sorted(r[5] for r in rows[1:]) == ["mobile", "self_service_kiosk"]  # Bravo's phone, Alpha's kiosk
    assert client.get("/admin/reporting?quarter=FY27").status_code == 400
    assert client.get("/admin/reporting/FY2027Q9/a11-collection.csv").status_code == 404
    assert client.get("/admin/reporting/nonsense/a11.zip").status_code == 404
    # Years a date cannot hold are refused like any other bad quarter, not a 500.
    assert client.get("/admin/reporting?quarter=FY0001Q1").status_code == 400
    assert client.get("/admin/reporting/FY0000Q1/a11-collection.csv").status_code == 404
    assert client.get("/admin/reporting/FY0001Q1/a11.zip").status_code == 404
    assert client.get("/admin/reporting").status_code == 200  # the current quarter


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url in (PAGE, "/admin/reporting/FY2027Q1/a11-collection.csv", "/admin/reporting/FY2027Q1/a11.zip"):
        assert client.get(url).status_code == 302


def test_volume_changes_appear_in_the_audit_log(client, world):
    sign_in(client, "admin@example.gov")
    b = world["b"]
    response = _post_volumes(
        client, {f"served-{b.id}-qr": "40", f"offered-{b.id}-qr": "30"}, url=PAGE + "&location=BBB-1"
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE + "&location=BBB-1")
    _post_volumes(client, {f"served-{b.id}-qr": "45", f"offered-{b.id}-qr": "30"}, url=PAGE + "&location=BBB-1")
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert audit.count("<code>volume.create</code><br>location BBB-1") == 1
    assert audit.count("<code>volume.update</code><br>location BBB-1") == 1
    assert "<del>40</del> → <ins>45</ins>" in audit
