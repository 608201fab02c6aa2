"""Build the OpenAPI 3 document from the marshmallow schemas and the API views' docstrings."""

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
    "required": ["status", "title", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "Field name (or batch item index) to messages."},
    },
}
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


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
    spec.components.response(
        "Problem",
        {
            "description": "An error, as RFC 9457 problem details.",
            "content": {"application/problem+json": {"schema": "Problem"}},
        },
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_operations_from_docstring(view.__doc__ or "")
        if operations:
            spec.path(path=_RULE_ARG.sub(r"{\1}", rule.rule), operations=operations)
    return spec.to_dict()


def build_spec(app: Flask) -> dict:
    return _build(app)
