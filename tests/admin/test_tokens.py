"""Personal API tokens on the admin site: every user makes, lists and revokes their own.

A new token is shown once (only its hash is stored), works against the read API, shows when it
was last used, and answers 401 once revoked. Nobody sees or revokes another user's tokens.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import ApiToken, AuditEntry, User
from feedback.models.devices import hash_token
from feedback.services import api_tokens
from tests.admin.conftest import changes, csrf_token, field_errors, fresh, sign_in
from tests.builders import add_api_token

MANAGER, OTHER = "manager@example.gov", "other@example.gov"
SUMMARY = "/api/v1/summary"
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def world(build, make_user, session):
    location = build.location(code="TOK-1")
    manager = make_user(MANAGER, "manager", [location])
    other = make_user(OTHER, "manager", [location])
    with write_transaction(session):
        others_token, others_secret = add_api_token(session, session.get(User, other.id), "other's script")
    return {
        "location": location,
        "manager": manager,
        "other": other,
        "others_token": others_token,
        "others_secret": others_secret,
    }


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as(MANAGER)


def create(client, name: str):
    """Post the form and follow the redirect to the page that shows the new secret."""
    return client.post(
        "/admin/tokens", data={"name": name, "csrf_token": csrf_token(client, "/admin/tokens")}, follow_redirects=True
    )


def shown_secret(response) -> str:
    match = re.search(r'<input id="new-token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the new token is not on the page"
    return html.unescape(match.group(1))


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def tokens_of(session, user) -> list[ApiToken]:
    fresh(session)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(manager, session, world):
    posted = manager.post(
        "/admin/tokens", data={"name": "quarterly report", "csrf_token": csrf_token(manager, "/admin/tokens")}
    )
    # Post/redirect/get: reloading the page that shows the secret does not post again.
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/admin/tokens")
    response = manager.get("/admin/tokens")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = shown_secret(response)
    assert len(secret) >= 40
    (token,) = tokens_of(session, world["manager"])
    assert (token.name, token.token_hash, token.revoked_at, token.last_used_at) == (
        "quarterly report",
        hash_token(secret),
        None,
        None,
    )
    # The list shows it, but never the secret again.
    listing = manager.get("/admin/tokens")
    body = html.unescape(listing.get_data(as_text=True))
    assert "quarterly report" in body
    assert secret not in body
    assert 'id="new-token"' not in body
    assert len(tokens_of(session, world["manager"])) == 1  # the reload made no second token
    # The audit entry names the token, not its secret.
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.create")).all()
    assert (entry.actor, entry.target_type, entry.target_id) == (MANAGER, "api_token", token.id)
    assert entry.details == {"name": [None, "quarterly report"]}
    assert secret not in str(entry.details) and token.token_hash not in str(entry.details)


def test_the_token_works_against_the_summary_api_until_revoked(manager, new_client, session, world):
    secret = shown_secret(create(manager, "dashboard"))
    api = new_client()  # a script: no cookies, a request context of its own
    assert api.get(SUMMARY, query_string=RANGE).status_code == 401
    with api.get(SUMMARY, query_string=RANGE, headers=bearer(secret)) as ok:  # its use is noted once sent
        assert ok.status_code == 200
        assert ok.get_json()["total"]["count"] == 0
    (token,) = tokens_of(session, world["manager"])
    assert token.last_used_at is not None
    listing = manager.get("/admin/tokens").get_data(as_text=True)
    assert token.last_used_at.strftime("%Y-%m-%d %H:%M") + " UTC" in listing  # "last used"

    revoke = manager.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(manager, "/admin/tokens")})
    assert revoke.status_code == 302 and revoke.location == "/admin/tokens"
    refused = api.get(SUMMARY, query_string=RANGE, headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    (token,) = tokens_of(session, world["manager"])
    assert token.revoked_at is not None
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")).all()
    assert entry.target_id == token.id and entry.details["revoked_at"][0] is None
    body = manager.get("/admin/tokens").get_data(as_text=True)
    assert "revoked" in body and f"/admin/tokens/{token.id}/revoke" not in body


def test_tokens_of_other_users_are_neither_listed_nor_revocable(manager, new_client, session, world):
    body = manager.get("/admin/tokens").get_data(as_text=True)
    assert "other&#39;s script" not in body and "other's script" not in body
    token_id = world["others_token"].id
    response = manager.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(manager, "/admin/tokens")}
    )
    assert response.status_code == 404
    assert (
        manager.post(
            "/admin/tokens/999999/revoke", data={"csrf_token": csrf_token(manager, "/admin/tokens")}
        ).status_code
        == 404
    )
    fresh(session)
    assert session.get(ApiToken, token_id).revoked_at is None
    assert new_client().get(SUMMARY, query_string=RANGE, headers=bearer(world["others_secret"])).status_code == 200


def test_admins_also_manage_only_their_own_tokens(new_client, make_user, session, world):
    make_user("admin@example.gov", "admin")
    admin = new_client()
    assert sign_in(admin, "admin@example.gov").status_code == 302
    assert "other&#39;s script" not in admin.get("/admin/tokens").get_data(as_text=True)
    response = admin.post(
        f"/admin/tokens/{world['others_token'].id}/revoke", data={"csrf_token": csrf_token(admin, "/admin/tokens")}
    )
    assert response.status_code == 404
    secret = shown_secret(create(admin, "admin script"))
    assert new_client().get(SUMMARY, query_string=RANGE, headers=bearer(secret)).status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 121, "Field cannot be longer than 120 characters."),
    ],
)
def test_invalid_name_makes_no_token(manager, session, world, name, message):
    response = create(manager, name)
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert 'id="new-token"' not in response.get_data(as_text=True)
    assert tokens_of(session, world["manager"]) == []
    assert changes(session) == []


def test_token_forms_without_csrf_token_are_refused(manager, session, world):
    assert manager.post("/admin/tokens", data={"name": "sneaky"}).status_code == 400
    assert manager.post("/admin/tokens", data={"name": "sneaky", "csrf_token": "forged"}).status_code == 400
    secret = shown_secret(create(manager, "mine"))
    (token,) = tokens_of(session, world["manager"])
    assert manager.post(f"/admin/tokens/{token.id}/revoke").status_code == 400
    assert manager.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": "forged"}).status_code == 400
    (token,) = tokens_of(session, world["manager"])
    assert token.revoked_at is None
    assert api_tokens.authenticate_api_token(session, secret) is not None


def test_tokens_page_needs_sign_in(client, world):
    response = client.get("/admin/tokens")
    assert response.status_code == 302 and response.location.startswith("/admin/login")
