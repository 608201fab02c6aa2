"""Admin sign-in, sign-out, password change, throttling and CSRF, through the real forms."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import AuditEntry, SignInThrottle, User
from feedback.services import auth, survey_links
from tests.admin.conftest import PASSWORD, csrf_token, current_slug, field_errors, fresh, sign_in

EMAIL = "boss@example.gov"
WRONG = "Wrong e-mail or password."
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def signed_in(client) -> bool:
    """Whether the client's session is signed in (the index answers instead of redirecting)."""
    response = client.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def reload(session, user) -> User:
    fresh(session)
    return session.get(User, user.id)


# --- sign-in ---------------------------------------------------------------------------------


def test_sign_in_redirects_to_the_admin_index(client, make_user):
    make_user(EMAIL)
    assert not signed_in(client)
    response = sign_in(client, "  Boss@Example.gov ", PASSWORD)  # spacing and case do not matter
    assert response.status_code == 302
    assert response.location == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert EMAIL in page.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(new_client, make_user):
    make_user(EMAIL)
    wrong_password = sign_in(new_client(), EMAIL, "not-the-password")
    unknown_email = sign_in(new_client(), "nobody@example.gov", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert field_errors(wrong_password) == field_errors(unknown_email) == [WRONG]


def test_empty_form_is_refused_without_signing_in(client, make_user):
    make_user(EMAIL)
    response = client.post("/admin/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert not signed_in(client)


def test_sign_in_follows_a_same_site_next_path(new_client, make_user):
    make_user(EMAIL)
    for target in ("/admin/password", "/admin/locations/A-1/poster?paper=a4"):
        response = sign_in(new_client(), EMAIL, PASSWORD, next_=target)
        assert response.status_code == 302
        assert response.location == target


OFF_SITE = [
    "https://evil.example",
    "https://evil.example/admin/",
    "//evil.example",
    "//evil.example/admin/",
    "///evil.example",
    "/\\evil.example",  # browsers read a backslash as a slash: //evil.example
    "/\\/evil.example",
    "/\t/evil.example",  # browsers drop tabs and newlines from URLs
    "/\n/evil.example",
    "javascript:alert(1)",
    "admin/",
]


def test_sign_in_ignores_an_off_site_next(new_client, make_user):
    make_user(EMAIL)
    for target in OFF_SITE:
        response = sign_in(new_client(), EMAIL, PASSWORD, next_=target)
        assert response.status_code == 302, target
        assert response.location == "/admin/", target


def test_a_deactivated_user_cannot_sign_in_and_is_signed_out(new_client, session, make_user):
    user = make_user(EMAIL)
    earlier = new_client()
    assert sign_in(earlier, EMAIL, PASSWORD).status_code == 302
    assert signed_in(earlier)
    with write_transaction(session):
        session.get(User, user.id).active = False

    refused = sign_in(new_client(), EMAIL, PASSWORD)
    assert refused.status_code == 401
    assert field_errors(refused) == [WRONG]  # says nothing about the account
    assert not signed_in(earlier)  # the session opened before no longer counts


# --- pages need sign-in ------------------------------------------------------------------------

PROTECTED = [
    "/admin/",
    "/admin/password",
    "/admin/locations/A-1/poster",
    "/admin/locations/A-1/qr.png",
    "/admin/locations/A-1/qr.svg",
    "/admin/offices/alpha/posters",
]


def test_admin_pages_need_sign_in(new_client, build, make_user):
    build.location(code="A-1", office=build.office("Alpha"))
    make_user(EMAIL)
    for path in PROTECTED:
        client = new_client()
        response = client.get(path)
        assert response.status_code == 302, path
        login = urlsplit(response.location)
        assert login.path == "/admin/login"
        # After signing in from that page, the user lands where they were going.
        (next_,) = parse_qs(login.query)["next"]
        assert urlsplit(next_).path == urlsplit(path).path
        arrived = sign_in(client, EMAIL, PASSWORD, next_=next_)
        assert arrived.status_code == 302 and arrived.location == next_
        assert client.get(path).status_code == 200, path


def test_rotate_link_needs_sign_in(client, build, session):
    location = build.location(code="A-1")
    with write_transaction(session):
        slug = survey_links.current_link(session, location).slug
    response = client.post("/admin/locations/A-1/rotate-link", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/admin/login"
    assert current_slug(session, location) == slug


# --- sign-out ----------------------------------------------------------------------------------


def test_logout_is_a_post_with_csrf_and_ends_the_session(client, make_user):
    make_user(EMAIL)
    sign_in(client, EMAIL, PASSWORD)
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 400  # no token
    assert client.post("/admin/logout", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(client)

    response = client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 302
    assert response.location == "/admin/login"
    assert not signed_in(client)
    assert client.get("/admin/locations/A-1/qr.png").status_code == 302


# --- password change ---------------------------------------------------------------------------


def change_password(client, current, new, confirm=None):
    return client.post(
        "/admin/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/admin/password"),
        },
    )


def test_password_change(new_client, client, session, make_user):
    user = make_user(EMAIL)
    sign_in(client, EMAIL, PASSWORD)
    new = "a-brand-new-passphrase"

    wrong_current = change_password(client, "not-my-password", new)
    assert wrong_current.status_code == 422
    assert field_errors(wrong_current) == ["Wrong password."]

    mismatch = change_password(client, PASSWORD, new, confirm=new + "x")
    assert mismatch.status_code == 422
    assert field_errors(mismatch) == ["The passwords differ."]

    too_short = change_password(client, PASSWORD, "short")
    assert too_short.status_code == 422
    assert check_password_hash(reload(session, user).password_hash, PASSWORD)  # nothing changed yet

    done = change_password(client, PASSWORD, new)
    assert done.status_code == 302 and done.location == "/admin/"
    assert "Your password was changed." in client.get("/admin/").get_data(as_text=True)
    assert signed_in(client)

    other = new_client()
    assert sign_in(other, EMAIL, PASSWORD).status_code == 401  # the old password no longer works
    assert not signed_in(other)
    assert sign_in(other, EMAIL, new).status_code == 302
    assert signed_in(other)


# --- session cookie ----------------------------------------------------------------------------


def session_cookie(response) -> str:
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user(EMAIL)
    cookie = session_cookie(sign_in(client, EMAIL, PASSWORD))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # off in development: plain-HTTP localhost would lose the session


def test_session_cookie_is_secure_when_configured(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    make_user(EMAIL)
    https = "https://localhost"
    token = csrf_token(client, base_url=https)
    # Over HTTPS, Flask-WTF also wants a same-site Referer, as a browser sends.
    response = client.post(
        "/admin/login",
        base_url=https,
        headers={"Referer": f"{https}/admin/login"},
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- throttling --------------------------------------------------------------------------------


def refused(session, password, now):
    with pytest.raises(auth.SignInRefused) as info:
        auth.sign_in(session, EMAIL, password, now=now)
    return info.value


def test_delay_starts_after_five_free_failures_and_doubles_up_to_an_hour():
    assert [auth.delay_after(n) for n in range(6)] == [timedelta(0)] * 6
    assert [auth.delay_after(n).total_seconds() for n in range(6, 11)] == [30, 60, 120, 240, 480]
    assert auth.delay_after(50) == auth.delay_after(500) == timedelta(hours=1)


def test_five_failures_are_free(session, make_user):
    user = make_user(EMAIL)
    for n in range(1, 6):
        refusal = refused(session, "wrong-password", T0)
        assert refusal.detail == WRONG and refusal.retry_after is None
        assert reload(session, user).failed_logins == n
        assert reload(session, user).locked_until is None
    assert auth.sign_in(session, EMAIL, PASSWORD, now=T0).id == user.id  # not locked
    assert reload(session, user).failed_logins == 0


def test_the_sixth_failure_locks_for_a_growing_delay(session, make_user):
    user = make_user(EMAIL)
    for _ in range(5):
        refused(session, "wrong-password", T0)
    sixth = refused(session, "wrong-password", T0)
    assert sixth.detail == WRONG
    assert reload(session, user).locked_until == T0 + timedelta(seconds=30)

    # Locked: even the right password is refused, and saying how long to wait.
    now = refused(session, PASSWORD, T0)
    assert now.retry_after == 30 and "30 seconds" in now.detail
    almost = refused(session, PASSWORD, T0 + timedelta(seconds=29.5))
    assert almost.retry_after == 1
    # Guessing during the lock neither counts nor extends it.
    refused(session, "wrong-password", T0 + timedelta(seconds=29))
    assert reload(session, user).failed_logins == 6
    assert reload(session, user).locked_until == T0 + timedelta(seconds=30)

    # The lock is over at 30 s; the 7th failure locks for 60 s, the 8th for 120 s.
    t1 = T0 + timedelta(seconds=30)
    assert refused(session, "wrong-password", t1).detail == WRONG
    assert reload(session, user).locked_until == t1 + timedelta(seconds=60)
    assert refused(session, PASSWORD, t1 + timedelta(seconds=59)).retry_after == 1
    t2 = t1 + timedelta(seconds=60)
    refused(session, "wrong-password", t2)
    assert reload(session, user).locked_until == t2 + timedelta(seconds=120)
    assert refused(session, PASSWORD, t2 + timedelta(seconds=119)).retry_after == 1

    # After the delay the right password works and starts the count again.
    t3 = t2 + timedelta(seconds=120)
    assert auth.sign_in(session, EMAIL, PASSWORD, now=t3).id == user.id
    assert reload(session, user).failed_logins == 0
    assert reload(session, user).locked_until is None
    for _ in range(5):
        refused(session, "wrong-password", t3)
    assert reload(session, user).locked_until is None


def test_a_long_attack_stays_locked_for_an_hour_at_most(session, make_user):
    """Days of one guess an hour: each failure still locks (for the one-hour cap), never errors."""
    user = make_user(EMAIL)
    with write_transaction(session):
        session.get(User, user.id).failed_logins = 200
    refusal = refused(session, "wrong-password", T0)
    assert refusal.detail == WRONG
    assert reload(session, user).failed_logins == 201
    assert reload(session, user).locked_until == T0 + timedelta(hours=1)
    assert refused(session, PASSWORD, T0 + timedelta(minutes=59)).retry_after == 60
    assert auth.sign_in(session, EMAIL, PASSWORD, now=T0 + timedelta(hours=1)).id == user.id


def sign_in_entries(session) -> list[tuple]:
    fresh(session)
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.actor, e.action, e.target_id, e.details) for e in rows]


def test_every_password_sign_in_and_refusal_on_an_account_is_audited(session, make_user):
    """Issue 17: every sign-in is audited, password ones as single sign-on ones are. Guesses at an
    unknown address (what was typed may be a password) and tries during a lock write nothing."""
    user = make_user(EMAIL)
    assert auth.sign_in(session, EMAIL, PASSWORD, now=T0).id == user.id
    for _ in range(6):
        refused(session, "wrong-password", T0)
    refused(session, PASSWORD, T0 + timedelta(seconds=10))  # locked: not written, nor is...
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(session, "nobody@example.gov", "guess", now=T0)  # ...a guess at an unknown address
    assert auth.sign_in(session, EMAIL, PASSWORD, now=T0 + timedelta(seconds=30)).id == user.id
    form = auth.SIGN_IN_FORM.name
    wrong = [
        (form, "user.sign_in_refused", user.id, {"method": "password", "reason": "wrong password", "failures": n})
        for n in range(1, 6)
    ]
    locked = {
        "method": "password",
        "reason": "wrong password",
        "failures": 6,
        "locked_until": "2026-03-02T15:00:30+00:00",
    }
    assert sign_in_entries(session) == [
        (EMAIL, "user.sign_in", user.id, {"method": "password"}),
        *wrong,
        (form, "user.sign_in_refused", user.id, locked),
        (EMAIL, "user.sign_in", user.id, {"method": "password"}),
    ]


def test_a_deactivated_account_signing_in_is_audited_as_refused(session, make_user):
    user = make_user(EMAIL)
    with write_transaction(session):
        session.get(User, user.id).active = False
    refused(session, PASSWORD, T0)
    assert sign_in_entries(session) == [
        (
            auth.SIGN_IN_FORM.name,
            "user.sign_in_refused",
            user.id,
            {"method": "password", "reason": "deactivated", "failures": 1},
        )
    ]


def _answers(client, email: str, clock: list, monkeypatch) -> list[tuple]:
    """Status, Retry-After and messages of 7 wrong guesses, then the right password at 29 s and 30 s."""
    monkeypatch.setitem(client.application.config, "CLOCK", lambda: clock[0])  # the request clock
    clock[0] = T0
    seen = []
    for _ in range(7):
        response = sign_in(client, email, "wrong-password")
        seen.append((response.status_code, response.headers.get("Retry-After"), field_errors(response)))
    for seconds in (29, 30):
        clock[0] = T0 + timedelta(seconds=seconds)
        response = sign_in(client, email, PASSWORD)
        seen.append((response.status_code, response.headers.get("Retry-After"), field_errors(response)))
    return seen


def test_an_unknown_address_is_answered_exactly_like_an_account(new_client, session, make_user, monkeypatch):
    make_user(EMAIL)
    known = _answers(new_client(), EMAIL, [T0], monkeypatch)
    unknown = _answers(new_client(), "nobody@example.gov", [T0], monkeypatch)
    locked = (429, "30", ["Too many failed attempts. Try again in 30 seconds."])
    assert (
        known[:8]
        == unknown[:8]
        == [(401, None, [WRONG])] * 6 + [locked] + [(429, "1", ["Too many failed attempts. Try again in 1 second."])]
    )
    # Only the account can then sign in; the unknown address is just refused again.
    assert known[8][0] == 302 and unknown[8] == (401, None, [WRONG])
    # No address is stored, only its digest.
    (row,) = session.scalars(select(SignInThrottle)).all()
    assert row.email_digest == hashlib.sha256(b"nobody@example.gov").hexdigest() and row.failed_logins == 7


def test_unknown_addresses_are_forgotten_a_day_after_their_last_failure(session):
    for address in ("a@example.gov", "b@example.gov"):
        with pytest.raises(auth.SignInRefused):
            auth.sign_in(session, address, "guess", now=T0)
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(session, "c@example.gov", "guess", now=T0 + timedelta(days=1, seconds=1))
    fresh(session)
    assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 1


def test_throttling_through_the_form(client, session, make_user, monkeypatch):
    clock = [T0]
    monkeypatch.setitem(client.application.config, "CLOCK", lambda: clock[0])  # the request clock
    user = make_user(EMAIL)
    for _ in range(6):
        response = sign_in(client, EMAIL, "wrong-password")
        assert response.status_code == 401
        assert field_errors(response) == [WRONG]

    locked = sign_in(client, EMAIL, PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "30"
    assert field_errors(locked) == ["Too many failed attempts. Try again in 30 seconds."]
    assert not signed_in(client)

    clock[0] = T0 + timedelta(seconds=29)
    last_second = sign_in(client, EMAIL, PASSWORD)
    assert last_second.status_code == 429
    assert field_errors(last_second) == ["Too many failed attempts. Try again in 1 second."]

    clock[0] = T0 + timedelta(seconds=30)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    assert signed_in(client)
    assert reload(session, user).failed_logins == 0


def test_parallel_guesses_are_all_counted(app, session, make_user, monkeypatch):
    """Concurrent wrong guesses must not overwrite each other's count (a lost update would give
    an attacker free guesses): each attempt reads and writes the counter under a row lock."""
    user = make_user(EMAIL)
    real_check = auth.check_password_hash

    def slow_check(stored, password):  # a production-cost hash check, so the attempts overlap
        time.sleep(0.05)
        return real_check(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    attempts = 5
    start = threading.Barrier(attempts)
    outcomes = []

    def guess():
        with app.app_context():
            start.wait()
            try:
                auth.sign_in(db.session, EMAIL, "wrong-password", now=T0)
            except auth.SignInRefused as exc:
                outcomes.append(exc.detail)

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [WRONG] * attempts
    assert reload(session, user).failed_logins == attempts


# --- CSRF ----------------------------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused(client, make_user):
    make_user(EMAIL)
    client.get("/admin/login")  # a session exists, but the token is not sent
    assert client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 400
    assert (
        client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": "forged"}).status_code
        == 400
    )
    assert not signed_in(client)


def test_password_change_without_csrf_token_is_refused(client, session, make_user):
    user = make_user(EMAIL)
    sign_in(client, EMAIL, PASSWORD)
    response = client.post(
        "/admin/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another-long-password",
            "confirm": "another-long-password",
        },
    )
    assert response.status_code == 400
    assert check_password_hash(reload(session, user).password_hash, PASSWORD)


def test_rotate_link_without_csrf_token_is_refused(client, build, session, make_user):
    location = build.location(code="A-1")
    make_user(EMAIL)
    sign_in(client, EMAIL, PASSWORD)
    client.get("/admin/locations/A-1/poster")  # makes the link
    slug = current_slug(session, location)
    assert slug
    assert client.post("/admin/locations/A-1/rotate-link").status_code == 400
    assert client.post("/admin/locations/A-1/rotate-link", data={"csrf_token": "forged"}).status_code == 400
    assert current_slug(session, location) == slug
