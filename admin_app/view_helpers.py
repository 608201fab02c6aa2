"""What the admin site's views share: admin-only access, the signed-in actor, running a service
change for a form (its refusals onto the form's fields), statuses, downloads, a location in scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlparse

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Location, User
from feedback.services import locations
from feedback.services.errors import Forbidden, InvalidInput, NotFound

CSV_MIME = "text/csv"  # Flask adds "; charset=utf-8"
P = ParamSpec("P")
R = TypeVar("R")


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Admins only: a signed-in manager gets 403. Put it under ``login_required``."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def actor() -> User:
    """The signed-in user, as the services' actor."""
    return current_user._get_current_object()


def attach_errors(form: FlaskForm, exc: InvalidInput) -> None:
    """Put a service's messages on the form's fields (others on the form itself)."""
    for name, messages in exc.errors.items():
        field = form._fields.get(name)
        (field.errors if field is not None else form.form_errors).extend(messages)
    if not exc.errors:
        form.form_errors.append(exc.detail)


def save(form: FlaskForm, change: Callable[[], Any], success: str | None = None) -> bool:
    """Run ``change`` (a service call) in one write transaction. Returns True when stored;
    on a refusal the messages go onto ``form`` and nothing is stored."""
    try:
        with write_transaction(db.session):
            result = change()
    except InvalidInput as exc:
        attach_errors(form, exc)
        return False
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    if success:
        flash(success if result or result is None else _("Nothing changed."))
    return True


def status() -> int:
    """200 for a page, 422 for a form posted back with errors."""
    return 422 if request.method == "POST" else 200


def no_store(response: Response) -> Response:
    """Pages that show a secret once (tokens, enrolment links) must not be cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def download(response: Response, name: str) -> Response:
    """An export: saved as ``name``, kept by no cache."""
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def first_then(first: str, rest: Iterator[str]) -> Iterator[str]:
    """``first``, then the rows in the request's contexts (stream_with_context pushes them again
    once the server asks for more than the header, after this view has returned); closing this
    generator (a download cut short) closes ``rest`` and so the database cursor."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()  # type: ignore[attr-defined]  # stream_with_context's generator, typed as an Iterator


def scoped_location(code: str) -> Location:
    """The location with ``code`` if the signed-in user may see it; 404 otherwise (unknown or not theirs)."""
    try:
        return locations.location_in_scope(db.session, actor(), code)
    except NotFound:
        abort(404)


def safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot bounce anyone elsewhere.

    Browsers read a backslash as a slash and drop tabs and newlines, so ``/\\evil.example``
    or ``/<tab>/evil.example`` would leave the site: refuse those and any control character.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlparse(target).netloc
    ):
        return target
    return url_for("admin.index")
