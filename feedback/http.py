"""Small helpers the blueprints share: problem+json answers, bearer tokens, JSON bodies."""

from __future__ import annotations

import json
from typing import Any, Protocol

from flask import Request, Response, jsonify
from marshmallow import Schema, ValidationError

from feedback.request_log import request_id

PROBLEM_MIME = "application/problem+json"


class ApiError(Exception):
    """Raised by views; rendered as RFC 9457 problem+json by the app's error handler."""

    def __init__(self, status: int, title: str, detail: str, errors: dict | list | None = None, headers=None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or {}
        self.headers = headers or {}


def problem(status: int, title: str, detail: str, errors: dict | list | None = None, headers=None) -> Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": _jsonable(errors or {}),
        "request_id": request_id(),  # the X-Request-ID of the answer, and of this request's log line
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIME
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _jsonable(errors):
    """Marshmallow keys list items by int; JSON objects need string keys."""
    if isinstance(errors, dict):
        return {str(k): _jsonable(v) for k, v in errors.items()}
    if isinstance(errors, list | tuple):
        return [_jsonable(v) for v in errors]
    return errors


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Loader(Protocol):
    """A marshmallow schema, or anything that loads like one (feedback/schemas/fast_responses.py)."""

    def load(self, data: Any) -> Any: ...


def load_json(request: Request, schema: Schema | Loader) -> dict:
    """Parse the body as JSON and load it with ``schema``; ApiError on any problem."""
    if not request.is_json:
        raise ApiError(415, "Unsupported Media Type", "Send the body as application/json.")
    raw = request.get_data(cache=True)  # reading the body enforces MAX_CONTENT_LENGTH (413)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ApiError(400, "Bad Request", "The body is not valid JSON.", {"body": ["Malformed JSON."]}) from None
    if not isinstance(data, dict):
        raise ApiError(
            422, "Unprocessable Content", "The body must be a JSON object.", {"body": ["Expected an object."]}
        )
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ApiError(422, "Unprocessable Content", "The body failed validation.", exc.messages) from exc


def load_args(args, schema: Schema) -> dict:
    try:
        return schema.load(args)
    except ValidationError as exc:
        raise ApiError(422, "Unprocessable Content", "The query failed validation.", exc.messages) from exc
