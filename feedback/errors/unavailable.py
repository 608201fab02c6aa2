"""The answer while the database cannot serve: 503 with Retry-After, never a 500.

The API answers problem+json (a kiosk sends the same id again later); visitor pages the bilingual
"try again in a moment" page; the admin site its page without the menu (that needs the database).
The outage is logged once per interval (``feedback/outages.py``).
"""

from __future__ import annotations

from contextlib import suppress

from flask import Response, current_app, request
from sqlalchemy.exc import DBAPIError

from feedback.errors.pages import WORDING, admin_unavailable_page, is_admin_path, visitor_page
from feedback.extensions import db
from feedback.http import problem
from feedback.outages import outage_log

API_DETAIL = (
    "The database is not answering; try again after Retry-After seconds. "
    "A response sent again with the same id is never stored twice."
)


def database_unavailable(exc: Exception) -> Response:
    """The 503 answer for a database fault ``exc`` on the current request."""
    _rollback()
    outage_log(current_app, "database").failed(_describe(exc), exc_info=exc)
    headers = {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"]), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        return problem(503, "Service Unavailable", API_DETAIL, headers=headers)
    posted = request.method not in ("GET", "HEAD")
    again = _again()
    html = admin_unavailable_page(posted, again) if is_admin_path() else visitor_page(WORDING[503], posted, again)
    response = Response(html, status=503, headers=headers)
    response.vary.add("Accept-Language")
    return response


def _again() -> str:
    """Where "Try again" leads: this page again (a form's page, not its post)."""
    path = "/" + request.path.lstrip("/")  # never "//host": that would lead off the site
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query and request.method in ("GET", "HEAD") else path


def _rollback() -> None:
    with suppress(Exception):  # the connection is gone; the pool replaces it
        db.session.rollback()


def _describe(exc: Exception) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line} ({request.method} {request.path})"
