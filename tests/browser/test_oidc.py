"""Single sign-on end to end: Chromium signs in to the admin site through a real OpenID provider
(npm's oidc-provider, tests/oidc/provider/server.mjs) running on this machine."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import AuditEntry, User
from feedback.services import sso
from feedback.services.actors import CLI
from tests.browser.conftest import DESK, serious
from tests.helpers.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

ADMINS, HOUSTON = "feedback-admins", "houston-managers"


@pytest.fixture(scope="module")
def provider(live_server):
    with running_provider(f"{live_server.url}/admin/login/sso/callback") as running:
        yield running


@pytest.fixture
def sso_live(live, app, provider, monkeypatch, session, build):
    """The live app signed in through ``provider``; groups re-checked at every request; a Houston
    office with a counter, another office with one, and the two groups mapped."""
    for key, value in {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_RECHECK_SECONDS": 0,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    houston = build.office("Houston Passport Agency")
    build.location(code="HOU-C1", office=houston)
    build.location(code="NYC-C1", office=build.office("New York Passport Agency"))
    with write_transaction(session):
        sso.add_mapping(session, CLI, group_name=ADMINS, role="admin")
        sso.add_mapping(session, CLI, group_name=HOUSTON, role="manager", office_ids=[houston.id])
    provider.account("alice", "alice@example.gov", [ADMINS])
    provider.account("bob", "bob@example.gov", [HOUSTON])
    provider.tamper("none")
    yield live
    provider.tamper("none")


def _sign_in(browser, live, login: str, requests: list | None = None):
    """A new browser: the admin site's sign-in page, the provider's login and consent pages."""
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live.url}/admin/login")
    page.get_by_role("link", name="Sign in with your agency account").click()
    page.fill("input[name='login']", login)
    page.fill("input[name='password']", "any password: the provider's development login")
    page.click("button[type='submit']")
    page.get_by_role("button", name="Continue").click()  # the provider's consent page
    page.wait_for_load_state()
    return page


def _audit(session, action: str) -> list[AuditEntry]:
    session.rollback()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_sign_in_gives_the_role_of_the_groups(browser, sso_live, session):
    requests: list[str] = []
    alice = _sign_in(browser, sso_live, "alice", requests)
    expect(alice).to_have_url(f"{sso_live.url}/admin/")
    expect(alice.locator("header")).to_contain_text("alice@example.gov (admin)")
    expect(alice.get_by_role("navigation", name="Admin").get_by_role("link", name="Users")).to_be_visible()
    # The authorization request used PKCE (S256) and carried a nonce and a state.
    auth = next(url for url in requests if "/auth?" in url)
    assert "code_challenge_method=S256" in auth and "code_challenge=" in auth
    assert "nonce=" in auth and "state=" in auth

    # The sign-in groups page lists both mappings, and passes axe, as does the sign-in page.
    alice.get_by_role("navigation", name="Admin").get_by_role("link", name="Sign-in groups").click()
    expect(alice.get_by_role("table")).to_contain_text("Offices: Houston Passport Agency")
    assert serious(Axe().run(alice)) == []
    login = browser.new_context(viewport=DESK).new_page()
    login.goto(f"{sso_live.url}/admin/login")
    expect(login.get_by_role("heading", name="Or with a password")).to_be_visible()
    assert serious(Axe().run(login)) == []

    bob = _sign_in(browser, sso_live, "bob")
    expect(bob).to_have_url(f"{sso_live.url}/admin/")
    expect(bob.locator("header")).to_contain_text("bob@example.gov (manager)")
    bob.goto(f"{sso_live.url}/admin/locations")
    expect(bob.locator("main")).to_contain_text("HOU-C1")
    expect(bob.locator("main")).not_to_contain_text("NYC-C1")
    assert bob.goto(f"{sso_live.url}/admin/users").status == 403

    session.rollback()
    made = {u.email: u for u in session.scalars(select(User))}
    assert made["alice@example.gov"].role == "admin"
    assert [o.name for o in made["bob@example.gov"].offices] == ["Houston Passport Agency"]
    assert {(e.actor, e.details["method"]) for e in _audit(session, "user.sign_in")} == {
        ("alice@example.gov", "sso"),
        ("bob@example.gov", "sso"),
    }
    assert {e.actor for e in _audit(session, "user.create")} == {"single sign-on"}


def test_a_group_removed_at_the_provider_ends_access_at_the_next_request(browser, sso_live, provider, session):
    alice = _sign_in(browser, sso_live, "alice")
    expect(alice.locator("header")).to_contain_text("alice@example.gov (admin)")
    bob = _sign_in(browser, sso_live, "bob")
    expect(bob.locator("header")).to_contain_text("bob@example.gov (manager)")

    provider.account("alice", "alice@example.gov", [HOUSTON])  # admin → manager of Houston
    provider.account("bob", "bob@example.gov", [])  # out of every group
    alice.goto(f"{sso_live.url}/admin/")
    expect(alice.locator("header")).to_contain_text("alice@example.gov (manager)")
    assert alice.goto(f"{sso_live.url}/admin/users").status == 403

    bob.goto(f"{sso_live.url}/admin/locations")
    expect(bob).to_have_url(re.compile(r"/admin/login"))
    expect(bob.locator("main")).to_contain_text("Your access to this site was withdrawn.")
    bob.goto(f"{sso_live.url}/admin/")
    expect(bob).to_have_url(re.compile(r"/admin/login"))

    [removed] = _audit(session, "user.sso_access_removed")
    assert removed.actor == "single sign-on" and removed.details == {"groups": []}
    changes = [e.details for e in _audit(session, "user.update")]
    assert {"role": ["admin", "manager"], "offices": [[], ["Houston Passport Agency"]], "groups": [HOUSTON]} in changes
    # And bob cannot sign in again while no group of his is mapped.
    again = _sign_in(browser, sso_live, "bob")
    expect(again.locator("main")).to_contain_text("Your groups give no access to this site.")
    assert again.goto(f"{sso_live.url}/admin/").url.startswith(f"{sso_live.url}/admin/login")


def test_an_id_token_altered_after_signing_is_refused(browser, sso_live, provider, session):
    provider.tamper("payload")  # bob's token now claims the admin group, with the old signature
    bob = _sign_in(browser, sso_live, "bob")
    expect(bob.locator("main")).to_contain_text("Single sign-on failed.")
    assert bob.goto(f"{sso_live.url}/admin/").url.startswith(f"{sso_live.url}/admin/login")
    session.rollback()
    assert session.scalar(select(User).where(User.email == "bob@example.gov")) is None
    [refused] = _audit(session, "user.sign_in_refused")
    assert "signature" in refused.details["reason"].lower()
    assert _audit(session, "user.sign_in") == []


def test_a_replayed_state_is_refused(browser, sso_live, session):
    requests: list[str] = []
    bob = _sign_in(browser, sso_live, "bob", requests)
    expect(bob.locator("header")).to_contain_text("bob@example.gov (manager)")
    callback = next(url for url in requests if "/admin/login/sso/callback?" in url)
    assert "state=" in callback and "code=" in callback

    # The same answer again, in the browser that used it: its state is spent.
    replay = bob.goto(callback)
    assert replay.status == 403
    expect(bob.locator("main")).to_contain_text("Single sign-on failed.")
    # And in another browser (a stolen URL): no state of its own, no session.
    stranger = browser.new_context(viewport=DESK).new_page()
    assert stranger.goto(callback).status == 403
    assert stranger.goto(f"{sso_live.url}/admin/").url.startswith(f"{sso_live.url}/admin/login")
    refused = _audit(session, "user.sign_in_refused")
    assert len(refused) == 2 and all("state" in e.details["reason"].lower() for e in refused)
    assert len(_audit(session, "user.sign_in")) == 1
