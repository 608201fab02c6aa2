"""Every /api/ answer the test suite sees must be one the OpenAPI document allows (issue 11,
item 13): its status listed for the operation, its content type the one documented for that
status (no body where none is documented), its required headers present.

``tests/conftest.py`` runs :func:`check` on every response of the suite's test clients, so a
view that starts answering a status the document does not mention fails the tests that reach it.
CI also runs schemathesis against a live server with the same document (``.ci/contract``).
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from feedback.http import PROBLEM_MIME
from feedback.openapi import build_spec

_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Answers to requests the document does not describe at all (an unknown path or method), and
# the input guard's refusals, which come before routing.
OUTSIDE_THE_DOCUMENT = {400, 404, 405, 414}


class ContractViolation(AssertionError):
    pass


def _resolve(spec: dict, item: dict) -> dict:
    while "$ref" in item:
        *_, kind, name = item["$ref"].split("/")
        item = spec["components"][kind][name]
    return item


def check(app: Flask, response) -> None:
    """Raise ContractViolation unless ``response`` (a test client's, for /api/) fits the document."""
    request = response.request
    if not request.path.startswith("/api/") or request.method in ("HEAD", "OPTIONS"):
        return
    where = f"{request.method} {request.path} -> {response.status_code} {response.mimetype}"
    spec = build_spec(app)
    try:
        rule, _args = app.url_map.bind("localhost").match(request.path, request.method, return_rule=True)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        rule = None
    operation = None
    if rule is not None:
        path = spec["paths"].get(_RULE_ARG.sub(r"{\1}", rule.rule), {})
        operation = path.get(request.method.lower())
    if operation is None:
        if response.status_code not in OUTSIDE_THE_DOCUMENT or response.mimetype != PROBLEM_MIME:
            raise ContractViolation(f"{where}: not a documented operation, and not a problem answer")
        return
    responses = operation["responses"]
    documented = responses.get(str(response.status_code)) or responses.get("default")
    if documented is None:
        raise ContractViolation(f"{where}: status not in the document (allowed: {', '.join(sorted(responses))})")
    documented = _resolve(spec, documented)
    content = documented.get("content") or {}
    body = response.get_data()
    if content and response.mimetype not in content:
        raise ContractViolation(f"{where}: content type not documented (allowed: {', '.join(content)})")
    if not content and body:
        raise ContractViolation(f"{where}: a body where the document lists none")
    for name, header in (documented.get("headers") or {}).items():
        if header.get("required") and name not in response.headers:
            raise ContractViolation(f"{where}: required header {name} missing")
