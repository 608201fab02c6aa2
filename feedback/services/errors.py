"""Errors services raise; the web layer turns each into a problem+json answer."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """The input is well-formed but breaks a rule (scale, follow-up, time...)."""

    status = 422
    title = "Unprocessable Content"


class Conflict(ServiceError):
    """An id is already stored with a different body."""

    status = 409
    title = "Conflict"


class NotFound(ServiceError):
    status = 404
    title = "Not Found"


class Forbidden(ServiceError):
    """Work only an admin may do."""

    status = 403
    title = "Forbidden"
