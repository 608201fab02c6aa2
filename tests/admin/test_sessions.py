"""Sessions end when they should, everywhere (issue 11, items 5 and 6).

A session cookie names the user and their session version, checked on every request: signing
out, changing the password, a role change and deactivation end every session of that user,
copied cookies included. Sign-in checks the password without holding a database lock, and each
client address has its own limit on sign-in attempts.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from feedback.extensions import db
from feedback.models import User
from feedback.services import auth
from feedback.sqltypes import utcnow
from tests.admin.conftest import PASSWORD, csrf_token, fresh, post, sign_in

EMAIL, ADMIN = "manager@example.gov", "admin@example.gov"
EXPORT = "/admin/export/responses.csv"


@pytest.fixture
def world(build, make_user):
    location = build.location(code="SES-1")
    admin = make_user(ADMIN, "admin")
    manager = make_user(EMAIL, "manager", [location])
    return {"location": location, "admin": admin, "manager": manager}


def signed_in_client(new_client, email=EMAIL):
    client = new_client()
    assert sign_in(client, email).status_code == 302
    return client


def copy_of(client, new_client):
    """Another browser holding a copy of ``client``'s session cookie (e.g. a stolen one)."""
    thief = new_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get(EXPORT).status_code == 200
    return thief


def is_signed_in(client) -> bool:
    response = client.get(EXPORT)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_sign_out_ends_copies_of_the_session(world, new_client):
    browser = signed_in_client(new_client)
    thief = copy_of(browser, new_client)
    elsewhere = signed_in_client(new_client)  # the same user on another device
    assert post(browser, "/admin/logout").status_code == 302
    assert not is_signed_in(browser)
    assert not is_signed_in(thief)
    assert not is_signed_in(elsewhere)


def test_a_password_change_ends_every_other_session(world, new_client):
    browser = signed_in_client(new_client)
    thief = copy_of(browser, new_client)
    elsewhere = signed_in_client(new_client)
    response = post(
        browser,
        "/admin/password",
        {"current_password": PASSWORD, "new_password": "another-long-password", "confirm": "another-long-password"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert is_signed_in(browser)  # whoever changed it stays signed in, with a new cookie
    assert not is_signed_in(thief)
    assert not is_signed_in(elsewhere)


def test_a_role_change_ends_the_users_sessions(world, new_client, session):
    browser = signed_in_client(new_client)
    admin = signed_in_client(new_client, ADMIN)
    manager = world["manager"]
    response = post(admin, f"/admin/users/{manager.id}/edit", {"role": "admin", "locations": [world["location"].id]})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    fresh(session)
    assert session.get(User, manager.id).role == "admin"
    assert not is_signed_in(browser)
    assert is_signed_in(admin)
    assert signed_in_client(new_client)  # signing in again works, with the new role


def test_a_scope_change_alone_keeps_the_session(world, new_client, build):
    """Scope is read from the database on every request, so it needs no new session."""
    browser = signed_in_client(new_client)
    admin = signed_in_client(new_client, ADMIN)
    other = build.location(code="SES-2")
    manager = world["manager"]
    data = {"role": "manager", "locations": [world["location"].id, other.id]}
    assert post(admin, f"/admin/users/{manager.id}/edit", data).status_code in (302, 303)
    assert is_signed_in(browser)


def test_deactivation_ends_the_sessions_and_reactivation_does_not_revive_them(world, new_client):
    browser = signed_in_client(new_client)
    admin = signed_in_client(new_client, ADMIN)
    manager = world["manager"]
    assert post(admin, f"/admin/users/{manager.id}/deactivate", {"confirm": "1"}).status_code in (302, 303)
    assert not is_signed_in(browser)
    assert post(admin, f"/admin/users/{manager.id}/activate").status_code in (302, 303)
    assert not is_signed_in(browser)  # the old cookie stays dead
    assert signed_in_client(new_client)


def test_a_cookie_of_an_earlier_version_or_malformed_id_signs_nobody_in(world, session):
    manager = world["manager"]
    assert auth.session_user(session, f"{manager.id}:0").id == manager.id
    for session_id in (str(manager.id), f"{manager.id}:1", f"{manager.id}:", "x:0", ":", "1:" + "9" * 5000):
        assert auth.session_user(session, session_id) is None


# --- sign-in without holding a lock (item 5) -----------------------------------------------------


def _other_writer_can_proceed(user_id: int) -> bool:
    """Whether another connection can take the write lock (SQLite) or the account's row lock
    (PostgreSQL) right now, without waiting."""
    if db.engine.dialect.name == "sqlite":
        conn = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    with db.engine.connect() as conn:
        try:
            conn.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE NOWAIT"), {"id": user_id})
            return True
        except OperationalError:  # lock not available
            return False
        finally:
            conn.rollback()


@pytest.mark.parametrize("password", [PASSWORD, "wrong-password"])
def test_the_password_is_checked_without_holding_a_lock(world, session, monkeypatch, password):
    manager = world["manager"]
    seen = []
    real_check = auth.check_password_hash

    def check(stored, given):
        seen.append(_other_writer_can_proceed(manager.id))
        return real_check(stored, given)

    monkeypatch.setattr(auth, "check_password_hash", check)
    try:
        auth.sign_in(session, EMAIL, password, now=utcnow())
    except auth.SignInRefused:
        assert password != PASSWORD
    assert seen == [True]


def test_an_unknown_address_is_checked_without_holding_a_lock(world, session, monkeypatch):
    seen = []
    real_check = auth.check_password_hash

    def check(stored, given):
        seen.append(_other_writer_can_proceed(world["manager"].id))
        return real_check(stored, given)

    monkeypatch.setattr(auth, "check_password_hash", check)
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(session, "nobody@example.gov", PASSWORD, now=utcnow())
    assert seen == [True]


def test_a_lock_set_by_a_parallel_guess_wins_over_a_right_password(world, session, monkeypatch):
    """The outcome is recorded after the hash: if parallel guesses locked the account meanwhile,
    even the right password is refused, so parallel guesses earn no extra attempts."""
    real_check = auth.check_password_hash

    def check(stored, given):
        ok = real_check(stored, given)
        monkeypatch.setattr(auth, "check_password_hash", real_check)
        for _ in range(auth.FREE_ATTEMPTS + 1):  # other guesses finish while this one hashes
            with pytest.raises(auth.SignInRefused):
                auth.sign_in(db.session, EMAIL, "wrong-password", now=utcnow())
        return ok

    monkeypatch.setattr(auth, "check_password_hash", check)
    with pytest.raises(auth.SignInRefused, match="Too many failed attempts"):
        auth.sign_in(session, EMAIL, PASSWORD, now=utcnow())


def test_each_address_has_its_own_sign_in_limit(world, new_client, app, monkeypatch):
    """Over LOGIN_LIMIT_PER_IP an address gets 429 with Retry-After before any password is hashed,
    whichever accounts it tries; another address is not affected."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "5 per minute")
    hashed = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda s, p: hashed.append(1) or real_check(s, p))
    client = new_client()
    for n in range(5):
        assert sign_in(client, f"guess{n}@example.gov", "wrong-password").status_code == 401
    assert len(hashed) == 5
    refused = sign_in(client, EMAIL, PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts from your network" in refused.get_data(as_text=True)
    assert len(hashed) == 5  # refused before the hash
    other = new_client()
    answer = other.post(
        "/admin/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_token(other)},
        environ_overrides={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert answer.status_code == 302


def test_ordinary_sign_in_answers_carry_no_retry_after(world, new_client):
    client = new_client()
    assert "Retry-After" not in sign_in(client, EMAIL, "wrong-password").headers
    assert "Retry-After" not in sign_in(client, EMAIL).headers


def test_a_burst_of_password_checks_cannot_take_every_thread(world, new_client, monkeypatch):
    """Beyond SIGN_IN_CONCURRENCY checks at once in a process, a sign-in answers 429 at once
    (no hash, no waiting thread), so kiosk posts keep their threads during a burst."""
    import threading

    from admin_app import auth as admin_auth

    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(admin_auth, "_checking", slots)
    hashed = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda s, p: hashed.append(1) or real_check(s, p))
    client = new_client()
    slots.acquire()  # another sign-in is checking its password
    busy = sign_in(client, EMAIL)
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
    assert "Many people are signing in right now" in busy.get_data(as_text=True)
    assert hashed == []
    slots.release()
    assert sign_in(client, EMAIL).status_code == 302
    assert slots.acquire(blocking=False)  # the slot was given back
