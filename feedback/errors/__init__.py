"""Every error answer of the app: problem+json under /api/, an HTML page elsewhere; a 500 never leaks."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from feedback.database import is_unavailable
from feedback.errors.pages import error_page
from feedback.errors.unavailable import database_unavailable
from feedback.extensions import db
from feedback.http import ApiError, problem
from feedback.services.errors import ServiceError

log = logging.getLogger(__name__)

__all__ = ["error_page", "register_errorhandlers", "wants_problem"]

API_TITLES = {429: "Too Many Requests", 500: "Internal Server Error"}
API_DETAILS = {
    429: "Too many requests; try again later.",
    500: "Something went wrong; nothing was stored.",
}


def wants_problem() -> bool:
    """Whether this request's errors are answered as problem+json (the JSON APIs)."""
    return request.path.startswith("/api/")


def _answer(
    status: int,
    title: str,
    detail: str,
    errors: dict | list | None = None,
    headers: dict[str, str] | None = None,
    exc: BaseException | None = None,
) -> Response:
    if wants_problem():
        return problem(status, title, detail, errors, headers)
    return error_page(status, exc, headers)


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return _answer(exc.status, exc.title, exc.detail, exc.errors, exc.headers, exc)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return _answer(exc.status, exc.title, exc.detail, exc.errors, exc=exc)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response:
        return _answer(422, "Unprocessable Content", "The input failed validation.", exc.messages, exc=exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        detail = API_DETAILS.get(status) or exc.description or exc.name
        if status == 413:
            detail = f"The body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes."
        # Keep headers such as Allow (405) and Retry-After (429), but not werkzeug's text/html type.
        headers = {key: value for key, value in exc.get_headers() if key.lower() != "content-type"}
        return _answer(status, API_TITLES.get(status, exc.name), detail, headers=headers, exc=exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if is_unavailable(exc):  # the database cannot serve right now: 503, not 500
            return database_unavailable(exc)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _answer(500, API_TITLES[500], API_DETAILS[500], exc=exc)
