"""GET /api/v1/openapi.json: a valid OpenAPI 3 document generated from the app itself."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from feedback.schemas.responses import (
    BatchInSchema,
    HeartbeatInSchema,
    ResponseInSchema,
    ResponseOutSchema,
)

URL = "/api/v1/openapi.json"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(client):
    resp = client.get(URL)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    return resp.get_json()


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]


def openapi_path(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def schema_properties(schema) -> set[str]:
    return {field.data_key or name for name, field in schema.fields.items() if not field.dump_only}


def test_document_is_openapi_3_and_needs_no_token(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["info"]["version"]


def test_document_is_valid_openapi(spec):
    validate(spec)  # raises on any violation of the OpenAPI 3.0 schema


def test_every_api_route_and_method_is_documented(app, spec):
    rules = api_rules(app)
    assert {"/api/v1/responses", "/api/v1/responses/batch", "/api/v1/devices/heartbeat", "/api/v1/summary", URL} <= {
        rule.rule for rule in rules
    }
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method.upper() not in IGNORED_METHODS
    }
    served = {(openapi_path(rule), method) for rule in rules for method in rule.methods - IGNORED_METHODS}
    assert documented == served


def test_every_operation_documents_its_responses_and_security(spec):
    schemes = set(spec["components"]["securitySchemes"])
    assert schemes == {"deviceToken", "apiToken"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (path, method)
            assert operation["responses"], (path, method)
            for requirement in operation.get("security", []):
                assert set(requirement) <= schemes, (path, method)
            if path != URL:
                assert operation["security"], (path, method)
                assert operation["responses"]["401"] == {"$ref": "#/components/responses/Problem"}, (path, method)


def test_errors_are_documented_as_problem_json(spec):
    problem = spec["components"]["responses"]["Problem"]
    assert set(problem["content"]) == {"application/problem+json"}
    schema = spec["components"]["schemas"]["Problem"]
    assert {"status", "title", "detail", "errors"} <= set(schema["required"])


def test_response_in_schema_is_generated_from_the_marshmallow_schema(spec):
    component = spec["components"]["schemas"]["ResponseIn"]
    assert set(component["properties"]) == schema_properties(ResponseInSchema())
    required = {field.data_key or name for name, field in ResponseInSchema().fields.items() if field.required}
    assert set(component["required"]) == required == {"id", "rating", "language", "client_time"}
    assert component["properties"]["id"]["format"] == "uuid"
    assert component["properties"]["rating"]["type"] == "integer"
    assert component["additionalProperties"] is False  # unknown fields (e.g. location) are refused


@pytest.mark.parametrize(
    ("name", "schema"),
    [("ResponseOut", ResponseOutSchema), ("BatchIn", BatchInSchema), ("HeartbeatIn", HeartbeatInSchema)],
)
def test_other_components_match_their_schemas(spec, name, schema):
    fields = {f.data_key or n for n, f in schema().fields.items()}
    assert set(spec["components"]["schemas"][name]["properties"]) == fields


def test_request_bodies_point_at_the_components(spec):
    def body_schema(path):
        return spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert body_schema("/api/v1/responses") == {"$ref": "#/components/schemas/ResponseIn"}
    assert body_schema("/api/v1/responses/batch") == {"$ref": "#/components/schemas/BatchIn"}
    assert body_schema("/api/v1/devices/heartbeat") == {"$ref": "#/components/schemas/HeartbeatIn"}
    items = spec["components"]["schemas"]["BatchIn"]["properties"]["responses"]["items"]
    assert items == {"$ref": "#/components/schemas/ResponseIn"}


def test_summary_query_parameters_are_documented(spec):
    parameters = spec["paths"]["/api/v1/summary"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"location", "from", "to", "group", "channel", "include_suspect"}
    assert all(p["in"] == "query" for p in parameters)
    assert {p["name"] for p in parameters if p.get("required")} == {"from", "to"}
