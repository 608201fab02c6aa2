"""The answer while the database cannot serve: 503 with Retry-After, never a 500.

A refused or lost connection, a locked, read-only or full database, an exhausted pool
(``database.is_unavailable``) is temporary: the API answers problem+json 503 with ``Retry-After``
(kiosks keep the response in their outbox and send it again; the same id is never stored twice),
visitor pages a short "try again in a moment" page in the visitor's language and the other
language, the admin site a plain page that needs no signed-in user (that would need the
database). The outage is logged once per interval, not once per request (``feedback/outages.py``).
"""

from __future__ import annotations

from contextlib import suppress

from flask import Response, current_app, render_template, request
from flask_babel import force_locale, gettext
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from feedback.extensions import db
from feedback.http import problem
from feedback.i18n import DEFAULT_LANGUAGE, LANGUAGES
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
    if request.path.startswith("/admin"):
        html = render_template("unavailable/admin.html", posted=posted, again=_again())
    else:
        html = _visitor_page(posted)
    response = Response(html, status=503, headers=headers)
    response.vary.add("Accept-Language")
    return response


def _visitor_page(posted: bool) -> str:
    """The visitor's language first, then the others: each section translated by Flask-Babel."""
    first = _language()
    sections = []
    for position, lang in enumerate([first, *(code for code in LANGUAGES if code != first)]):
        with force_locale(lang):
            sections.append(
                Markup(
                    render_template(
                        "unavailable/_visitor_text.html", lang=lang, first=position == 0, posted=posted, again=_again()
                    )
                )
            )
    with force_locale(first):
        title = gettext("Please try again in a moment")
    return render_template("unavailable/visitor.html", lang=first, title=title, sections=sections)


def _language() -> str:
    """``?lang=`` (or the phone form's ``lang``), else the browser's preference."""
    asked = request.args.get("lang") or _form_language()
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _form_language() -> str | None:
    try:
        return request.form.get("lang")
    except (HTTPException, ValueError):  # a body that does not parse: the header decides
        return None


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
