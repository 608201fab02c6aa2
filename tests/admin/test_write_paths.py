"""One write path per object: the admin site, the command line and the demo loader change offices,
locations, kiosks, users and tokens through the same services, so they accept and refuse the same
input with the same messages, and every change is audited with its actor (a user, or a named
system actor such as "cli" or "demo loader")."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from feedback.models import AuditEntry, Device, Office
from tests.admin.conftest import csrf_token, field_errors, fresh, sign_in

ADMIN = "admin@example.gov"
WEEK = {f"hours_{day}": "08:00-16:30" for day in ("mon", "tue", "wed", "thu", "fri")}


def cli(runner, *args):
    """Run a command; an uncaught exception (a traceback) fails the test instead of becoming exit 1."""
    return runner.invoke(args=list(args), catch_exceptions=False)


def entries(session) -> list[tuple[str, str, int | None]]:
    fresh(session)
    return [(e.action, e.actor, e.user_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def offices(session) -> int:
    fresh(session)
    return session.scalar(select(func.count()).select_from(Office))


@pytest.fixture
def admin(new_client, make_user):
    make_user(ADMIN, "admin")
    client = new_client()
    assert sign_in(client, ADMIN).status_code == 302
    return client


def post_office(client, name: str, timezone: str):
    token = csrf_token(client, "/admin/offices/new")
    return client.post("/admin/offices/new", data={"name": name, "timezone": timezone, "csrf_token": token} | WEEK)


@pytest.mark.parametrize(
    ("first", "name", "timezone", "message"),
    [
        ("Foo Bar", "Foo-Bar", "America/Chicago", "Another office has this name"),  # the same slug
        ("Foo Bar", "FOO BAR", "America/Chicago", "Another office has this name"),
        (None, "Foo Bar", "localtime", "Not an IANA time zone"),  # the server's own zone: no place
        (None, "Foo Bar", "posixrules", "Not an IANA time zone"),
        (None, "Foo Bar", "Mars/Olympus", "Not an IANA time zone"),
        (None, "x" * 121, "America/Chicago", "120 characters"),  # the form says it first, in its words
    ],
)
def test_the_command_line_and_the_admin_form_refuse_the_same_offices(
    runner, admin, session, first, name, timezone, message
):
    if first:
        assert cli(runner, "office", "add", first, "--timezone", "America/Chicago").exit_code == 0
    before = offices(session)

    result = cli(runner, "office", "add", name, "--timezone", timezone)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output

    page = post_office(admin, name, timezone)
    assert page.status_code == 422
    assert any(message in error for error in field_errors(page)), field_errors(page)
    assert offices(session) == before


def test_command_line_changes_are_audited_with_the_cli_actor(runner, session):
    steps = [
        ("office", "add", "Houston", "--timezone", "America/Chicago"),
        ("location", "add", "HOU-C1", "--office", "Houston"),
        ("location", "link", "HOU-C1", "--rotate"),
        ("device", "enroll", "HOU-C1", "--label", "tablet"),
        ("device", "link", "{device}"),
        ("device", "revoke", "{device}"),
        ("user", "create", "boss@example.gov", "--role", "manager", "--location", "HOU-C1"),
        ("user", "create", "boss@example.gov", "--role", "admin"),
        ("user", "token", "boss@example.gov", "--name", "script"),
    ]
    for step in steps:
        device = session.scalar(select(Device.id))
        result = cli(runner, *(arg.format(device=device) for arg in step))
        assert result.exit_code == 0, (step, result.output)
    actions = entries(session)
    assert {(actor, user_id) for _action, actor, user_id in actions} == {("cli", None)}
    assert [action for action, *_ in actions] == [
        "office.create",
        "survey.create",  # the "Default" survey, made for the first location
        "location.create",
        "location.rotate_link",
        "kiosk.enroll",
        "kiosk.link",
        "kiosk.revoke",
        "user.create",
        "user.update",
        "api_token.create",
    ]
    # Nothing changed, nothing recorded: the commands stay idempotent.
    assert cli(runner, "office", "add", "Houston", "--timezone", "America/Chicago").exit_code == 0
    assert cli(runner, "location", "add", "HOU-C1", "--office", "Houston").exit_code == 0
    assert len(entries(session)) == len(actions)


def test_the_demo_loader_writes_through_the_audited_services(runner, session):
    assert cli(runner, "demo", "load", "--weeks", "1").exit_code == 0
    actions = entries(session)
    assert {(actor, user_id) for _action, actor, user_id in actions} == {("demo loader", None)}
    counted = {action: sum(1 for a, *_ in actions if a == action) for action, *_ in actions}
    assert counted == {
        "survey.create": 3,
        "office.create": 3,
        "location.create": 9,
        "kiosk.enroll": 9,
        "user.create": 2,
        "volume.create": 6,  # Houston's three counters and New York's three claims windows
    }
