"""Admin-site helpers: users made through the service, sign-in through the real form (CSRF on).

The suite's app lives for the whole run inside one app context, and Flask's test client reuses the
current app context, so every request would share ``g`` (where Flask-WTF caches the CSRF token of
the first session that asked) and the test's database session. Here, as in production, each request
runs in an app context of its own.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from feedback.models import AuditEntry, SurveyLink
from tests.builders import PASSWORD

_HIDDEN_CSRF = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]+)"')
_FIELD_ERROR = re.compile(r'<p class="field-error"[^>]*>(.*?)</p>', re.S)


def csrf_token(client, path: str = "/admin/login", **request_options) -> str:
    """The hidden ``csrf_token`` input of the page at ``path`` (same client, so same session)."""
    page = client.get(path, **request_options)
    assert page.status_code == 200, (path, page.status_code)
    tag = _HIDDEN_CSRF.search(page.get_data(as_text=True))
    assert tag, f"no csrf_token input on {path}"
    return _VALUE.search(tag.group(0)).group(1)


def field_errors(response) -> list[str]:
    return [html.unescape(e).strip() for e in _FIELD_ERROR.findall(response.get_data(as_text=True))]


def sign_in(client, email: str, password: str = PASSWORD, next_: str | None = None):
    """Post the sign-in form as a browser would: token from the page, then the form."""
    token = csrf_token(client)
    query = {"next": next_} if next_ is not None else None
    return client.post(
        "/admin/login", query_string=query, data={"email": email, "password": password, "csrf_token": token}
    )


def post(client, path: str, data: dict | None = None):
    """Post a form as the browser does: with the session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/admin/password")})


def fresh(session) -> None:
    """End the test session's transaction (a SQLite read keeps its snapshot until then) and
    forget loaded rows, so the next reads see what requests committed since."""
    session.rollback()
    session.expire_all()


# Signing in is audited too, but it changes nothing: tests of what a form changed leave it out.
SIGN_INS = ("user.sign_in", "user.sign_in_refused")


def changes(session, action: str | None = None) -> list[AuditEntry]:
    """The audit log's entries but sign-ins, oldest first (only ``action``'s when given)."""
    fresh(session)
    query = select(AuditEntry).where(AuditEntry.action.not_in(SIGN_INS)).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def current_slug(session, location) -> str:
    fresh(session)
    return session.scalar(
        select(SurveyLink.slug).where(SurveyLink.location_id == location.id, SurveyLink.retired_at.is_(None))
    )


@pytest.fixture
def signed_in_as(new_client):
    """``signed_in_as(email)``: a new browser, signed in as that user through the real form."""

    def sign(email: str, password: str = PASSWORD):
        client = new_client()
        assert sign_in(client, email, password).status_code == 302
        return client

    return sign
