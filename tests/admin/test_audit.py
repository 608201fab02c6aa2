"""The audit log: every management change is recorded (who, what, when, old -> new) in the
transaction that makes it, and admins read it newest first, in pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.models import AuditEntry, Device, Location, Office, Survey, User
from feedback.services import audit, hours, locations, offices
from feedback.services.errors import InvalidInput
from tests.admin.conftest import SIGN_INS, changes, fresh, post, sign_in

ADMIN, MANAGER = "admin@example.gov", "manager@example.gov"


@pytest.fixture
def world(build, make_user, session):
    office = build.office("Alpha Office", "America/Chicago")
    location = build.location(code="AUD-1", office=office)
    device, _ = build.device(location=location)
    admin = make_user(ADMIN, "admin")
    manager = make_user(MANAGER, "manager", [location])
    return {"office": office, "location": location, "device": device, "admin": admin, "manager": manager}


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


def entries(session) -> list[AuditEntry]:
    return changes(session)


def listed_actions(body: str) -> list[str]:
    return re.findall(r'<th scope="row"><code>([a-z0-9_.]+)</code>', body)


def test_every_change_is_recorded_and_listed_newest_first(admin, new_client, session, world):
    office, location, device = world["office"], world["location"], world["device"]
    survey_id = location.survey_id
    steps = [
        ("/admin/offices/new", {"name": "Bravo Office", "timezone": "Pacific/Honolulu", "hours_mon": "09:00-15:00"}),
        (
            f"/admin/offices/{office.id}/edit",
            {"name": "Alpha Office", "timezone": "America/Denver"} | hours.opening_hours_text(office),
        ),
        (
            "/admin/locations/new",
            {
                "code": "AUD-2",
                "name": "Counter 2",
                "office": office.id,
                "survey": survey_id,
                "active": "y",
                "csat_target": "80",
            },
        ),
        ("/admin/locations/AUD-1/edit", {"name": "Counter 1", "active": "y", "csat_target": "90", "office": office.id}),
        (f"/admin/surveys/{survey_id}", {"scale": "thumbs", "question_en": "Did we help?", "question_es": ""}),
        ("/admin/surveys/new", {"name": "Second survey", "scale": "faces5", "question_en": "How was it?"}),
        ("/admin/kiosks/enrol", {"location": location.id, "label": "window"}),
        (f"/admin/kiosks/{device.id}/link", {}),
        (f"/admin/kiosks/{device.id}/revoke", {"confirm": "1"}),
        ("/admin/users/new", {"email": "new@example.gov", "role": "manager", "password": "long-enough-password"}),
        (f"/admin/users/{world['manager'].id}/edit", {"role": "manager", "offices": [office.id]}),
        (f"/admin/users/{world['manager'].id}/deactivate", {"confirm": "1"}),
        (f"/admin/users/{world['manager'].id}/activate", {}),
        ("/admin/tokens", {"name": "script"}),
    ]
    for path, data in steps:
        assert post(admin, path, data).status_code in (200, 201, 302, 303), path
    fresh(session)
    second = session.scalar(select(Survey.id).where(Survey.name == "Second survey"))
    assert post(admin, f"/admin/surveys/{second}/assign", {"locations": [location.id]}).status_code == 302
    token_id = max(e.target_id for e in entries(session) if e.action == "api_token.create")
    assert post(admin, f"/admin/tokens/{token_id}/revoke").status_code == 302

    expected = [
        "office.create",
        "office.update",
        "location.create",
        "location.update",
        "survey.update",
        "survey.create",
        "kiosk.enroll",
        "kiosk.link",
        "kiosk.revoke",
        "user.create",
        "user.update",
        "user.deactivate",
        "user.activate",
        "api_token.create",
        "location.assign_survey",
        "api_token.revoke",
    ]
    recorded = entries(session)
    assert [e.action for e in recorded] == expected
    assert {(e.user_id, e.actor) for e in recorded} == {(world["admin"].id, ADMIN)}
    assert all(e.at is not None and e.details for e in recorded)
    assert next(e for e in recorded if e.action == "office.update").details == {
        "timezone": ["America/Chicago", "America/Denver"]
    }

    page = admin.get("/admin/audit")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    listed = listed_actions(body)
    assert [a for a in listed if a not in SIGN_INS] == list(reversed(expected))  # newest first
    assert listed[-1] == "user.sign_in"  # the admin's own sign-in came first
    text = html.unescape(body)
    assert "<del>America/Chicago</del> → <ins>America/Denver</ins>" in text
    assert "location AUD-1" in text and "office Alpha Office" in text and "user new@example.gov" in text
    assert "kiosk #" in text and "API token 'script'" in text
    assert "long-enough-password" not in text


def test_entries_show_who_when_and_old_new_values(admin, session, world):
    when = datetime(2026, 3, 2, 15, 4, tzinfo=UTC)
    with write_transaction(session):
        entry = audit.record(
            session,
            session.get(User, world["manager"].id),
            "location.update",
            "location",
            world["location"].id,
            {"name": ["Counter", "Front desk"], "csat_target": [None, 0.9], "active": [True, False]},
        )
        entry.at = when
    text = html.unescape(admin.get("/admin/audit").get_data(as_text=True))
    row = re.search(r"<tr>\s*<td><time[^>]*>2026-03-02 15:04 UTC</time></td>.*?</tr>", text, re.S)
    assert row, "the entry's time is not listed"
    row = row.group(0)
    assert f"<td>{MANAGER}</td>" in row
    assert "<code>location.update</code><br>location AUD-1" in row
    assert "<dt><code>name</code></dt><dd><del>Counter</del> → <ins>Front desk</ins></dd>" in row
    assert "<dt><code>csat_target</code></dt><dd><ins>0.9</ins></dd>" in row  # from nothing to 0.9
    assert "<dt><code>active</code></dt><dd><del>yes</del> → <ins>no</ins></dd>" in row


def test_audit_log_pages(admin, session, world):
    with write_transaction(session):
        actor = session.get(User, world["admin"].id)
        for n in range(1, 61):
            audit.record(session, actor, f"test.step_{n:02d}", "office", world["office"].id, {"n": [n - 1, n]})
    first = admin.get("/admin/audit").get_data(as_text=True)
    actions = listed_actions(first)
    assert len(actions) == audit.PAGE_SIZE == 50
    assert actions[0] == "test.step_60" and actions[-1] == "test.step_11"
    older = re.search(r'href="(/admin/audit\?before=\d+)" rel="next"', first).group(1)
    second = admin.get(older).get_data(as_text=True)
    # The admin's own sign-in came before the sixty steps.
    assert listed_actions(second) == [f"test.step_{n:02d}" for n in range(10, 0, -1)] + ["user.sign_in"]
    assert 'rel="next"' not in second  # the last page
    assert 'href="/admin/audit">Newest' in second
    assert 'rel="next"' in first and "Newest" not in first
    assert admin.get("/admin/audit?before=nonsense").status_code == 400  # a malformed cursor is an error


def test_audit_log_is_admin_only(new_client, world):
    manager = new_client()
    assert sign_in(manager, MANAGER).status_code == 302
    assert manager.get("/admin/audit").status_code == 403
    anonymous = new_client()
    response = anonymous.get("/admin/audit")
    assert response.status_code == 302 and response.location.startswith("/admin/login")


def test_a_refused_change_writes_no_entry_and_a_failed_transaction_keeps_neither(session, world):
    admin = session.get(User, world["admin"].id)
    with pytest.raises(InvalidInput), write_transaction(session):
        offices.update_office(
            session, admin, world["office"].id, name="Renamed", timezone="Nowhere/Town", opening_hours={}
        )
    assert entries(session) == []

    # The change and its entry are one transaction: if anything after them fails, both are gone.
    def change_then_fail():
        with write_transaction(session):
            locations.update_location(session, admin, world["location"].id, name="Renamed", active=True)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        change_then_fail()
    assert entries(session) == []
    fresh(session)
    assert session.get(Location, world["location"].id).name == "Counter"
    assert session.get(Office, world["office"].id).name == "Alpha Office"
    assert session.scalar(select(func.count()).select_from(Device)) == 1
