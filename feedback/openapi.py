"""Build the OpenAPI 3 document from the marshmallow schemas and the API views' docstrings.

Each view's docstring lists the answers of its own logic (401, 404, 409, 413, 415, 422 ...);
the answers every operation can give whatever the view does are added here, once: 400 for
text no database stores (feedback/input_guard.py), 414 for an over-long URL, and 503 with
Retry-After while the database cannot be reached (every operation with a token reads it).
``tests/conftest.py`` checks every /api/ answer the test suite sees against this document, and
CI runs schemathesis against a live server with it (``.ci/contract``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask

from feedback.schemas import responses, summary

SCHEMAS = {
    "ResponseIn": responses.ResponseInSchema,
    "ResponseOut": responses.ResponseOutSchema,
    "BatchIn": responses.BatchInSchema,
    "BatchOut": responses.BatchOutSchema,
    "HeartbeatIn": responses.HeartbeatInSchema,
    "HeartbeatOut": responses.HeartbeatOutSchema,
    "SummaryQuery": summary.SummaryQuerySchema,
}
PROBLEM = {
    "type": "object",
    "required": ["status", "title", "detail", "errors", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "Field name (or batch item index) to messages."},
        "request_id": {
            "type": "string",
            "description": "This request's id, also in the X-Request-ID header and the service's log line.",
        },
    },
}
RESPONSES = {  # named problem answers the views' docstrings refer to
    "Problem": "An error, as RFC 9457 problem details.",
    "Conflict": "The id is already stored with a different body (or for another location); nothing was stored.",
    "TooLarge": "The body is larger than the service accepts (or a batch has too many items).",
    "NotJson": "The body was not sent as application/json.",
    "Refused": "The body fails the schema, or the rules of the location's survey: a rating beyond the "
    "survey's scale, a follow-up it does not offer, a client_time older than the age limit or in the "
    "future, an unknown survey version. Errors are keyed by field (by item index in a batch); nothing "
    "was stored.",
}
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
COMMON_RESPONSES = {
    "400": {
        "description": "Malformed: the body is not JSON, or the request holds text no database can store "
        "(a NUL character, an unpaired surrogate).",
        "content": PROBLEM_CONTENT,
    },
    "414": {"description": "The URL is longer than the service accepts.", "content": PROBLEM_CONTENT},
}
UNAVAILABLE = {
    "description": "The database cannot be reached for the moment; retry after the given seconds.",
    "headers": {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}},
    "content": PROBLEM_CONTENT,
}


@lru_cache(maxsize=4)
def _build(app: Flask) -> dict:
    spec = APISpec(
        title="Counter feedback API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Kiosk ingestion and the read API. Errors are application/problem+json."},
    )
    spec.components.security_scheme(
        "deviceToken", {"type": "http", "scheme": "bearer", "description": "A kiosk's device token."}
    )
    spec.components.security_scheme(
        "apiToken", {"type": "http", "scheme": "bearer", "description": "An admin user's personal API token."}
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.components.schema("Problem", PROBLEM)
    for name, description in RESPONSES.items():
        spec.components.response(
            name, {"description": description, "content": {"application/problem+json": {"schema": "Problem"}}}
        )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        for operation in operations.values():
            responses = operation["responses"] = {str(k): v for k, v in operation.get("responses", {}).items()}
            for status, response in COMMON_RESPONSES.items():
                responses.setdefault(status, response)
            if operation.get("security"):  # a token means a database look-up
                responses.setdefault("503", UNAVAILABLE)
        if operations:
            spec.path(path=_RULE_ARG.sub(r"{\1}", rule.rule), operations=operations)
    return spec.to_dict()


def build_spec(app: Flask) -> dict:
    return _build(app)
