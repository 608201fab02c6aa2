"""The flask CLI: idempotent commands with clear errors."""

from __future__ import annotations

from sqlalchemy import func, select

from feedback.models import Device, Location, Office, Response, ResponseHourly, User
from tests.builders import auth, response_body


def run(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def test_location_add_is_idempotent_and_creates_office(runner, session):
    first = run(
        runner,
        "location",
        "add",
        "hou-c9",
        "--office",
        "Houston",
        "--timezone",
        "America/Chicago",
        "--name",
        "Counter 9",
    )
    assert first.exit_code == 0, first.output
    assert "Created: location HOU-C9 in Houston" in first.output
    again = run(runner, "location", "add", "HOU-C9", "--office", "Houston")
    assert again.exit_code == 0 and "Exists" in again.output
    assert session.scalar(select(func.count()).select_from(Location)) == 1
    assert session.scalar(select(Office.timezone)) == "America/Chicago"


def test_location_add_errors_are_clear(runner, session):
    no_tz = run(runner, "location", "add", "X-1", "--office", "Nowhere")
    assert no_tz.exit_code == 1
    assert "give its time zone" in no_tz.output
    bad_tz = run(runner, "location", "add", "X-1", "--office", "Nowhere", "--timezone", "Mars/Olympus")
    assert bad_tz.exit_code == 1 and "timezone: Not an IANA time zone" in bad_tz.output
    bad_code = run(runner, "location", "add", "no spaces", "--office", "O", "--timezone", "UTC")
    assert bad_code.exit_code == 1 and "code: 2-32 characters: capital letters, digits and dashes" in bad_code.output
    assert session.scalar(select(func.count()).select_from(Location)) == 0
    assert session.scalar(select(func.count()).select_from(Office)) == 0  # the office went with its location


def test_a_code_of_another_office_is_refused(runner, build):
    build.location(code="HOU-C1", office=build.office("Houston"))
    build.office("Honolulu")
    moved = run(runner, "location", "add", "HOU-C1", "--office", "Honolulu")
    assert moved.exit_code == 1 and "Another location has this code" in moved.output


def test_device_enroll_prints_a_working_token_then_revoke_blocks_it(runner, client, build, session):
    build.location(code="HOU-C1")
    result = run(runner, "device", "enroll", "HOU-C1", "--label", "tablet")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201

    device_id = session.scalar(select(Device.id))
    revoked = run(runner, "device", "revoke", str(device_id))
    assert revoked.exit_code == 0 and "Revoked device" in revoked.output
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 401
    listing = run(runner, "device", "list")
    assert "revoked" in listing.output


def test_device_enroll_unknown_location(runner):
    result = run(runner, "device", "enroll", "NOPE-1")
    assert result.exit_code == 1 and "No location with code" in result.output


def test_device_revoke_unknown(runner):
    result = run(runner, "device", "revoke", "999")
    assert result.exit_code == 1 and "No such kiosk" in result.output


def test_device_revoke_twice_and_link_of_a_revoked_device(runner, build):
    device, _token = build.device()
    assert "Revoked device" in run(runner, "device", "revoke", str(device.id)).output
    again = run(runner, "device", "revoke", str(device.id))
    assert again.exit_code == 0 and "Already revoked" in again.output
    link = run(runner, "device", "link", str(device.id))
    assert link.exit_code == 1 and "This kiosk is revoked" in link.output


def test_user_create_and_token(runner, client, build, session):
    build.location(code="HOU-C1")
    created = run(
        runner,
        "user",
        "create",
        "Boss@Example.gov",
        "--role",
        "manager",
        "--location",
        "hou-c1",
        "--password",
        "a-long-password",
    )
    assert created.exit_code == 0, created.output
    assert "Created: boss@example.gov (manager, HOU-C1)" in created.output
    again = run(runner, "user", "create", "boss@example.gov", "--role", "admin", "--password", "a-long-password")
    assert again.exit_code == 0 and "Updated" in again.output
    assert session.scalar(select(User.role)) == "admin"
    assert session.scalar(select(func.count()).select_from(User)) == 1

    token = run(runner, "user", "token", "boss@example.gov").output.strip().splitlines()[-1]
    summary = client.get("/api/v1/summary?from=2026-01-01&to=2026-01-31", headers=auth(token))
    assert summary.status_code == 200
    assert summary.get_json()["locations"] == ["HOU-C1"]


def test_user_create_generates_password_and_rejects_bad_input(runner, build):
    generated = run(runner, "user", "create", "new@example.gov", "--role", "admin")
    assert generated.exit_code == 0 and "Password: " in generated.output
    bad = run(runner, "user", "create", "not-an-email", "--role", "admin", "--password", "a-long-password")
    assert bad.exit_code == 1 and "email" in bad.output
    unknown = run(runner, "user", "create", "m@example.gov", "--role", "manager", "--location", "NOPE-9")
    assert unknown.exit_code == 1 and "No location with code" in unknown.output
    missing = run(runner, "user", "token", "ghost@example.gov")
    assert missing.exit_code == 1 and "No user" in missing.output


def test_demo_load_once_with_consistent_rollups(runner, session):
    result = run(runner, "demo", "load", "--weeks", "1")
    assert result.exit_code == 0, result.output
    assert "Loaded 9 locations" in result.output
    offices = session.scalars(select(Office.timezone)).all()
    assert len(offices) == 3 and len(set(offices)) == 3
    responses = session.scalar(select(func.count()).select_from(Response))
    assert responses > 300
    assert session.scalar(select(func.sum(ResponseHourly.n))) == responses
    assert session.scalar(select(func.count()).select_from(Device)) == 9
    # Repeat taps were generated and flagged, and some answers came by phone.
    assert session.scalar(select(func.count()).where(Response.suspect.is_(True))) > 0
    assert session.scalar(select(func.count()).where(Response.channel == "qr")) > 0

    again = run(runner, "demo", "load", "--weeks", "1")
    assert again.exit_code == 0 and "already loaded" in again.output
    assert session.scalar(select(func.count()).select_from(Response)) == responses

    rebuilt = run(runner, "rollups", "rebuild")
    assert rebuilt.exit_code == 0 and f"from {responses} responses" in rebuilt.output
    assert session.scalar(select(func.sum(ResponseHourly.n))) == responses


def test_demo_links_print_one_enrolment_link_per_office(runner, client):
    assert "No offices yet" in run(runner, "demo", "links").output
    run(runner, "demo", "load", "--weeks", "1")
    result = run(runner, "demo", "links")
    assert result.exit_code == 0
    links = [line.split()[-1] for line in result.output.splitlines() if "/kiosk/enroll/" in line]
    assert len(links) == 3
    path = links[0].split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200


def test_index_page(client):
    page = client.get("/")
    assert page.status_code == 200 and b"/api/v1/openapi.json" in page.data
