"""The OpenAPI document lists every answer the API gives (issue 11, item 13).

``tests/conftest.py`` checks every /api/ answer of the whole suite against the document
(tests/contract.py); these tests make sure the answers the review found undocumented are
reached, and that the check itself catches what it should.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import assert_problem, auth, response_body
from tests.contract import ContractViolation, check

HEARTBEAT, ONE, BATCH = "/api/v1/devices/heartbeat", "/api/v1/responses", "/api/v1/responses/batch"


@pytest.fixture
def token(build):
    _device, token = build.device(scale="faces5")
    return token


def statuses(spec, path, method="post") -> set[str]:
    return set(spec["paths"][path][method]["responses"])


def test_each_operation_lists_what_it_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    common = {"400", "414", "503"}
    assert statuses(spec, ONE) >= {"200", "201", "401", "409", "413", "415", "422"} | common
    assert statuses(spec, BATCH) >= {"200", "201", "401", "409", "413", "415", "422"} | common
    assert statuses(spec, HEARTBEAT) >= {"200", "401", "413", "415", "422"} | common
    assert statuses(spec, "/api/v1/kiosk/config", "get") >= {"200", "304", "401"} | common
    for path in ("/api/v1/summary", "/api/v1/responses"):
        assert statuses(spec, path, "get") >= {"200", "401", "404", "422"} | common
    unavailable = spec["paths"][ONE]["post"]["responses"]["503"]
    assert unavailable["headers"]["Retry-After"]["required"] is True
    assert "503" not in statuses(spec, "/api/v1/openapi.json", "get")  # no database behind it


def test_heartbeat_refusals_are_documented_answers(client, token, app):
    assert_problem(client.post(HEARTBEAT, data="{nope", content_type="application/json", headers=auth(token)), 400)
    assert_problem(client.post(HEARTBEAT, data="x=1", headers=auth(token)), 415)
    huge = '{"app_version": "1", "queue_length": 0, "last_error": "%s"}' % ("x" * app.config["MAX_CONTENT_LENGTH"])
    assert_problem(client.post(HEARTBEAT, data=huge, content_type="application/json", headers=auth(token)), 413)


def test_batch_refusals_are_documented_answers(client, token):
    assert_problem(client.post(BATCH, data="responses=1", headers=auth(token)), 415)
    old = response_body(when=datetime.now(UTC) - timedelta(days=400))
    assert_problem(client.post(BATCH, json={"responses": [old]}, headers=auth(token)), 422, "0")
    assert_problem(client.post(ONE, json=response_body(rating=5, followup_offered=["nope"]), headers=auth(token)), 422)


def test_a_long_url_is_a_documented_414(client, token, app):
    query = "x" * (app.config["MAX_URL_LENGTH"] + 1)
    assert_problem(client.get(f"/api/v1/summary?q={query}", headers=auth(token)), 414, "url")
    assert client.get(f"/admin/login?q={query}").status_code == 414


def test_the_check_catches_an_undocumented_status(client, app, token):
    response = client.post(HEARTBEAT, json={"app_version": "1", "queue_length": 0}, headers=auth(token))
    assert response.status_code == 200
    response.status_code = 418
    with pytest.raises(ContractViolation, match="status not in the document"):
        check(app, response)


def test_the_check_catches_an_undocumented_content_type(client, app, token):
    response = client.post(HEARTBEAT, json={"app_version": "1", "queue_length": 0}, headers=auth(token))
    response.mimetype = "text/html"
    with pytest.raises(ContractViolation, match="content type not documented"):
        check(app, response)


def test_the_check_catches_a_missing_required_header(client, app, token):
    response = client.post(HEARTBEAT, json={"app_version": "1", "queue_length": 0}, headers=auth(token))
    response.status_code = 503
    response.mimetype = "application/problem+json"
    with pytest.raises(ContractViolation, match="Retry-After"):
        check(app, response)


def test_the_check_lets_unknown_paths_answer_404_only(client, app):
    response = client.get("/api/v1/nothing-here")
    assert_problem(response, 404)
    response.status_code = 200
    with pytest.raises(ContractViolation, match="not a documented operation"):
        check(app, response)
