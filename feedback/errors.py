"""Error handlers: JSON problems under /api, plain pages elsewhere; never leak a 500's details."""

from __future__ import annotations

import logging

from flask import Flask, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from feedback.database import is_unavailable
from feedback.extensions import db
from feedback.http import ApiError, problem
from feedback.services.errors import ServiceError
from feedback.unavailable import database_unavailable

log = logging.getLogger(__name__)


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return problem(exc.status, exc.title, exc.detail, exc.errors)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        return problem(422, "Unprocessable Content", "The input failed validation.", exc.messages)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_problem():
            return exc
        detail = exc.description or exc.name
        if exc.code == 413:
            detail = f"The body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes."
        # Keep headers such as Allow (405), but not werkzeug's text/html content type.
        headers = {key: value for key, value in exc.get_headers() if key.lower() != "content-type"}
        return problem(exc.code or 500, exc.name, detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_unavailable(exc):  # the database cannot serve right now: 503, not 500
            return database_unavailable(exc)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_problem():
            return problem(500, "Internal Server Error", "Something went wrong; nothing was stored.")
        return "Internal Server Error", 500
