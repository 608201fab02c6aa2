"""Single sign-on without a browser: the group-to-role mapping, what a sign-in and a re-check do to
the user (with the audit), the sign-in groups page, and password sign-in switched off.
The protocol itself (PKCE, state, nonce, signatures) runs against a real provider in
tests/browser/test_oidc.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import AuditEntry, SsoGroupRole, User
from feedback.services import sso
from feedback.services.actors import CLI
from feedback.services.errors import Forbidden, InvalidInput
from tests.admin.conftest import csrf_token, field_errors, fresh, post
from tests.builders import PASSWORD

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture
def offices(build):
    return build.office("Houston Passport Agency"), build.office("Honolulu Passport Agency")


def _map(session, group, role, office_ids=()):
    with write_transaction(session):
        return sso.add_mapping(session, CLI, group_name=group, role=role, office_ids=office_ids)


def _claims(email="ana@example.gov", groups=("houston",), verified=True, **extra):
    return {"sub": "ana", "email": email, "email_verified": verified, "groups": list(groups), **extra}


def _entries(session, action):
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_grant_is_admin_if_any_group_says_so_else_manager_of_every_named_office(session, offices):
    houston, honolulu = offices
    _map(session, "houston", "manager", [houston.id])
    _map(session, "honolulu", "manager", [honolulu.id])
    _map(session, "cx-office", "admin")
    assert sso.grant_for(session, ["houston"]) == sso.Grant("manager", frozenset({houston.id}))
    both = sso.grant_for(session, ["houston", "honolulu", "unmapped"])
    assert both == sso.Grant("manager", frozenset({houston.id, honolulu.id}))
    assert sso.grant_for(session, ["houston", "cx-office"]) == sso.Grant("admin", frozenset())
    assert sso.grant_for(session, ["unmapped"]) is None
    assert sso.grant_for(session, []) is None


def test_groups_claim_as_a_list_or_a_single_string():
    assert sso.groups_of({"groups": ["b", " a ", "", 3, "b"]}, "groups") == ["a", "b"]
    assert sso.groups_of({"roles": "admins"}, "roles") == ["admins"]
    assert sso.groups_of({"groups": {"a": 1}}, "groups") == []
    assert sso.groups_of({}, "groups") == []


def test_mapping_rules_and_audit(session, offices, make_user):
    houston, _ = offices
    mapping = _map(session, " houston ", "manager", [houston.id])
    assert mapping.group_name == "houston"
    for kwargs, field in [
        ({"group_name": "houston", "role": "admin"}, "group_name"),
        ({"group_name": "", "role": "admin"}, "group_name"),
        ({"group_name": "x", "role": "owner"}, "role"),
        ({"group_name": "x", "role": "manager"}, "offices"),
        ({"group_name": "x", "role": "manager", "office_ids": [987654]}, "offices"),
    ]:
        with pytest.raises(InvalidInput) as refused, write_transaction(session):
            sso.add_mapping(session, CLI, **kwargs)
        assert field in refused.value.errors
    manager = make_user("m@example.gov", role="manager")
    with pytest.raises(Forbidden), write_transaction(session):
        sso.add_mapping(session, manager, group_name="x", role="admin")
    with write_transaction(session):
        sso.remove_mapping(session, CLI, mapping.id)
    assert session.scalars(select(SsoGroupRole)).all() == []
    created, deleted = _entries(session, "sso_group.create"), _entries(session, "sso_group.delete")
    assert [e.details for e in created] == [
        {"group": [None, "houston"], "role": [None, "manager"], "offices": [None, ["Houston Passport Agency"]]}
    ]
    assert deleted[0].details["group"] == ["houston", None] and deleted[0].actor == "cli"


def test_unknown_verified_email_with_a_mapped_group_becomes_a_user(session, offices):
    houston, _ = offices
    _map(session, "houston", "manager", [houston.id])
    user = sso.sign_in(session, _claims(email="Ana@Example.gov"), groups_claim="groups", now=NOW)
    fresh(session)
    user = session.get(User, user.id)
    assert (user.email, user.role, [o.name for o in user.offices]) == (
        "ana@example.gov",
        "manager",
        ["Houston Passport Agency"],
    )
    [created] = _entries(session, "user.create")
    assert created.actor == "single sign-on" and created.details["groups"] == ["houston"]
    [signed] = _entries(session, "user.sign_in")
    assert (signed.actor, signed.details) == ("ana@example.gov", {"method": "sso", "groups": ["houston"]})


def test_existing_user_takes_the_role_of_their_groups(session, offices, make_user):
    _map(session, "cx-office", "admin")
    make_user("ana@example.gov", role="manager", locations=[])
    version = session.scalar(select(User.session_version).where(User.email == "ana@example.gov"))
    user = sso.sign_in(session, _claims(groups=["cx-office"]), groups_claim="groups", now=NOW)
    assert user.role == "admin"
    assert user.session_version == version + 1  # the role changed: other sessions end
    [update] = _entries(session, "user.update")
    assert update.details == {"role": ["manager", "admin"], "groups": ["cx-office"]}


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (_claims(verified=False), "did not confirm your e-mail"),
        (_claims(verified="true"), "did not confirm your e-mail"),  # only a JSON true counts
        (_claims(email=None), "did not confirm your e-mail"),
        (_claims(groups=["someone-elses"]), "Your groups give no access"),
    ],
)
def test_sign_in_is_refused_and_audited(session, offices, claims, message):
    _map(session, "houston", "manager", [offices[0].id])
    with pytest.raises(sso.SsoRefused) as refused:
        sso.sign_in(session, claims, groups_claim="groups", now=NOW)
    assert message in refused.value.detail
    fresh(session)
    assert session.scalars(select(User)).all() == []
    [entry] = _entries(session, "user.sign_in_refused")
    assert entry.details["method"] == "sso"


def test_a_deactivated_user_is_refused(session, offices, make_user):
    _map(session, "houston", "manager", [offices[0].id])
    user = make_user("ana@example.gov", role="manager")
    with write_transaction(session):
        user.active = False
    with pytest.raises(sso.SsoRefused):
        sso.sign_in(session, _claims(), groups_claim="groups", now=NOW)
    assert _entries(session, "user.sign_in_refused")[0].details["reason"] == "deactivated"


def test_recheck_applies_new_groups_and_ends_sessions_when_none_is_left(session, offices):
    houston, honolulu = offices
    _map(session, "houston", "manager", [houston.id])
    _map(session, "honolulu", "manager", [honolulu.id])
    user = sso.sign_in(session, _claims(), groups_claim="groups", now=NOW)
    user = sso.recheck(session, user.id, ["honolulu"], now=NOW)
    assert user is not None and [o.name for o in user.offices] == ["Honolulu Passport Agency"]
    version = user.session_version
    assert sso.recheck(session, user.id, [], now=NOW) is None
    fresh(session)
    assert session.get(User, user.id).session_version == version + 1
    [removed] = _entries(session, "user.sso_access_removed")
    assert removed.details == {"groups": []}


def test_removing_a_mapping_ends_access_at_the_next_recheck(session, offices):
    mapping = _map(session, "houston", "manager", [offices[0].id])
    user = sso.sign_in(session, _claims(), groups_claim="groups", now=NOW)
    with write_transaction(session):
        sso.remove_mapping(session, CLI, mapping.id)
    assert sso.recheck(session, user.id, ["houston"], now=NOW) is None


# --- the admin page -------------------------------------------------------------------------


def test_sign_in_groups_page_lists_adds_and_removes(signed_in_as, make_user, session, offices):
    make_user("admin@example.gov")
    admin = signed_in_as("admin@example.gov")
    houston, _ = offices
    page = admin.get("/admin/sso-groups")
    assert page.status_code == 200 and "No group is mapped yet" in page.get_data(as_text=True)
    answer = post(admin, "/admin/sso-groups", {"group_name": "houston", "role": "manager", "offices": [houston.id]})
    assert answer.status_code == 302
    listed = admin.get("/admin/sso-groups").get_data(as_text=True)
    assert "houston" in listed and "Offices: Houston Passport Agency" in listed
    refused = post(admin, "/admin/sso-groups", {"group_name": "x", "role": "manager"})
    assert refused.status_code == 422
    assert "Choose the offices this group's managers see." in field_errors(refused)
    fresh(session)
    [mapping] = session.scalars(select(SsoGroupRole)).all()
    # Without the CSRF token nothing is removed.
    assert admin.post(f"/admin/sso-groups/{mapping.id}/delete").status_code == 400
    assert post(admin, f"/admin/sso-groups/{mapping.id}/delete").status_code == 302
    fresh(session)
    assert session.scalars(select(SsoGroupRole)).all() == []
    assert [e.actor for e in _entries(session, "sso_group.delete")] == ["admin@example.gov"]


def test_sign_in_groups_page_is_for_admins_only(signed_in_as, make_user, client):
    make_user("m@example.gov", role="manager")
    manager = signed_in_as("m@example.gov")
    assert manager.get("/admin/sso-groups").status_code == 403
    assert post(manager, "/admin/sso-groups", {"group_name": "x", "role": "admin"}).status_code == 403
    assert client.get("/admin/sso-groups").status_code == 302  # to the sign-in page


def test_sign_in_page_offers_single_sign_on_and_password_can_be_switched_off(app, client, make_user, monkeypatch):
    make_user("admin@example.gov")
    assert "agency account" not in client.get("/admin/login").get_data(as_text=True)
    not_set_up = client.get("/admin/login/sso")
    assert not_set_up.status_code == 302 and not_set_up.headers["Location"].endswith("/admin/login")
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", "id")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_SECRET", "secret")
    page = client.get("/admin/login").get_data(as_text=True)
    assert "Sign in with your agency account" in page and 'name="password"' in page
    token = csrf_token(client)
    monkeypatch.setitem(app.config, "PASSWORD_SIGN_IN", False)
    page = client.get("/admin/login").get_data(as_text=True)
    assert "Sign in with your agency account" in page and 'name="password"' not in page
    refused = client.post(
        "/admin/login", data={"email": "admin@example.gov", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 403
    assert client.get("/admin/").status_code == 302  # not signed in


# --- settings ---------------------------------------------------------------------------------


def _env(monkeypatch, tmp_path, **values):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_GROUPS_CLAIM", "PASSWORD_SIGN_IN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_single_sign_on_settings(monkeypatch, tmp_path):
    from feedback.config import load_config

    _env(monkeypatch, tmp_path)
    config = load_config()
    assert (config["OIDC_ISSUER"], config["OIDC_GROUPS_CLAIM"], config["PASSWORD_SIGN_IN"]) == (None, "groups", True)
    assert config["OIDC_RECHECK_SECONDS"] == 0
    _env(
        monkeypatch,
        tmp_path,
        OIDC_ISSUER="https://idp.example.gov/",
        OIDC_CLIENT_ID="feedback",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_GROUPS_CLAIM="roles",
        PASSWORD_SIGN_IN="false",
    )
    config = load_config()
    assert (config["OIDC_ISSUER"], config["OIDC_GROUPS_CLAIM"], config["PASSWORD_SIGN_IN"]) == (
        "https://idp.example.gov",
        "roles",
        False,
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"OIDC_ISSUER": "https://idp.example.gov"}, "OIDC_CLIENT_ID"),
        ({"OIDC_ISSUER": "https://idp.example.gov", "OIDC_CLIENT_ID": "x"}, "OIDC_CLIENT_SECRET"),
        ({"PASSWORD_SIGN_IN": "false"}, "nobody could sign in"),
    ],
)
def test_single_sign_on_settings_that_cannot_work_stop_the_start(monkeypatch, tmp_path, values, message):
    from feedback.config import load_config

    _env(monkeypatch, tmp_path, **values)
    with pytest.raises(RuntimeError, match=message):
        load_config()


def test_single_sign_on_answers_are_rate_limited_per_address(app, client, monkeypatch):
    """A refused callback writes an audit entry: unauthenticated requests here are limited."""
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", "id")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_SECRET", "secret")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per minute")
    answers = [client.get("/admin/login/sso/callback?code=x&state=y").status_code for _ in range(4)]
    assert answers == [403, 403, 403, 429]


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:9", None])
def test_a_session_whose_groups_cannot_be_checked_is_signed_out(app, signed_in_as, make_user, monkeypatch, issuer):
    """The provider does not answer (or single sign-on was switched off since): the session of a
    single sign-on ends at its next request rather than going on with unchecked groups."""
    make_user("admin@example.gov")
    browser = signed_in_as("admin@example.gov")
    assert browser.get("/admin/").status_code == 200
    with browser.session_transaction() as cookie:
        cookie["sso"] = {"token": "an-access-token", "checked": 0}
    monkeypatch.setitem(app.config, "OIDC_ISSUER", issuer)
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", "id")
    monkeypatch.setitem(app.config, "OIDC_CLIENT_SECRET", "secret")
    answer = browser.get("/admin/")
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    assert browser.get("/admin/").status_code == 302
