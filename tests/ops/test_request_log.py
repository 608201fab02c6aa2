"""One log line per request (issue 15, item 7): request id, route, status, duration, the device or
the user, and never a comment, a token or a query string; the request id in the answer's header
and in problem+json bodies; LOG_FORMAT."""

from __future__ import annotations

import json
import logging

import pytest

from feedback.config import load_config
from feedback.request_log import JsonFormatter, TextFormatter, formatter
from tests.admin.conftest import sign_in
from tests.builders import assert_problem, auth, response_body
from tests.phone.helpers import answer, slug_for

LOGGER = "feedback.requests"
COMMENT = "The clerk named Zebulon was rude about my passport"


@pytest.fixture
def lines(caplog):
    """The request log records of the test, each with its JSON line as production writes it."""
    caplog.set_level(logging.INFO, logger=LOGGER)

    def read() -> list[tuple[logging.LogRecord, dict, str]]:
        found = []
        for record in caplog.records:
            if record.name == LOGGER:
                line = JsonFormatter().format(record)
                found.append((record, json.loads(line), line))
        return found

    return read


def test_a_kiosk_tap_is_one_line_with_its_device_and_never_its_token(client, build, lines):
    device, token = build.device()
    resp = client.post("/api/v1/responses", json=response_body(rating=4), headers=auth(token))
    assert resp.status_code == 201
    [(record, fields, line)] = lines()
    assert record.levelno == logging.INFO
    assert fields["request_id"] == resp.headers["X-Request-ID"]
    assert len(fields["request_id"]) == 32  # a new uuid4, in hex
    assert (fields["method"], fields["route"], fields["endpoint"]) == (
        "POST",
        "/api/v1/responses",
        "device_api.post_response",
    )
    assert fields["status"] == 201
    assert isinstance(fields["duration_ms"], float) and fields["duration_ms"] >= 0
    assert fields["device_id"] == device.id and "user_id" not in fields
    assert fields["logger"] == LOGGER and fields["time"].endswith("+00:00")
    assert token not in line and "Bearer" not in line
    assert "\n" not in line


def test_a_phone_comment_and_the_survey_address_stay_out_of_the_log(client, build, session, lines):
    location = build.location()
    slug = slug_for(session, location)
    resp, _form = answer(client, slug, 2, comment=COMMENT, json=True)
    assert resp.status_code == 200
    records = lines()
    assert [(f["method"], f["route"], f["status"]) for _r, f, _l in records] == [
        ("GET", "/s/<slug>", 200),
        ("POST", "/s/<slug>", 200),
    ]
    for _record, fields, line in records:
        assert "Zebulon" not in line and slug not in line
        assert "device_id" not in fields and "user_id" not in fields


def test_codes_in_paths_and_tokens_in_query_strings_are_never_logged(client, lines):
    client.get("/kiosk/enroll/SECRET-ENROLMENT-CODE-123")
    client.get("/api/v1/summary?token=SECRET-QUERY-TOKEN&location=X")
    client.get("/no/such/page/SECRET-PATH")
    records = lines()
    assert [f["route"] for _r, f, _l in records] == ["/kiosk/enroll/<code>", "/api/v1/summary", None]
    for _record, _fields, line in records:
        assert "SECRET" not in line


def test_a_signed_in_user_is_named_by_id(new_client, make_user, lines):
    user = make_user("log.reader@example.gov", "admin")
    client = new_client()
    assert sign_in(client, "log.reader@example.gov").status_code == 302
    assert client.get("/admin/").status_code == 200
    _record, fields, _line = lines()[-1]
    assert (fields["route"], fields["status"], fields["user_id"]) == ("/admin/", 200, user.id)
    assert "device_id" not in fields
    assert all("correct-horse" not in line for _r, _f, line in lines())  # the password never


def test_a_read_api_token_user_is_named_by_id(client, build, lines):
    user, token = build.user_token()
    client.get("/api/v1/summary?location=NOPE", headers=auth(token))
    _record, fields, line = lines()[-1]
    assert fields["user_id"] == user.id and token not in line


def test_the_request_id_is_in_the_header_and_the_problem_body(client, lines):
    resp = client.post("/api/v1/responses", json=response_body(), headers=auth("no-such-device"))
    body = assert_problem(resp, 401, "authorization")
    assert body["request_id"] == resp.headers["X-Request-ID"] == lines()[-1][1]["request_id"]
    assert "no-such-device" not in lines()[-1][2]


def test_a_sane_incoming_request_id_is_kept_and_any_other_replaced(client, lines):
    kept = client.get("/livez", headers={"X-Request-ID": "lb-7f3a9c21.trace:01"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21.trace:01"
    for bad in ("short", "x" * 65, "has space in it", "quote\"'<script>", "tab\tseparated-id", "caf\u00e9-request-id"):
        resp = client.get("/livez", headers={"X-Request-ID": bad})
        assert resp.headers["X-Request-ID"] != bad
        assert len(resp.headers["X-Request-ID"]) == 32
    problem = client.post("/api/v1/responses", json={}, headers={"X-Request-ID": "lb-0000-1111-2222"})
    assert problem.get_json()["request_id"] == "lb-0000-1111-2222"
    assert lines()[0][1]["request_id"] == "lb-7f3a9c21.trace:01"


def test_html_error_pages_carry_the_request_id_too(client, lines):
    resp = client.get("/admin/no-such-page")
    assert resp.status_code in (302, 404)
    assert resp.headers["X-Request-ID"] == lines()[-1][1]["request_id"]


def test_the_text_format_carries_the_same_fields(client, build, lines):
    device, token = build.device()
    client.post("/api/v1/responses", json=response_body(), headers=auth(token))
    record, fields, _line = lines()[-1]
    text = TextFormatter().format(record)
    assert "POST /api/v1/responses 201" in text
    assert f"request_id={fields['request_id']}" in text and f"device_id={device.id}" in text
    assert token not in text


def test_log_format_defaults_to_json_in_production_and_text_in_development(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.setenv("FEEDBACK_ENV", "development")
    assert load_config()["LOG_FORMAT"] == "text"
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k7Qm2vX9pL4sT8wN1rY6zB3cF5hJ0dGa")
    assert load_config()["LOG_FORMAT"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert load_config()["LOG_FORMAT"] == "text"
    assert isinstance(formatter("json"), JsonFormatter) and isinstance(formatter("text"), TextFormatter)


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "JSON"), ("LOG_FORMAT", "xml"), ("METRICS_TOKEN", "short")])
def test_a_bad_log_format_or_a_short_metrics_token_stops_the_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        load_config()


def test_other_records_in_json_carry_the_request_id_of_their_request(app, client):
    """A record logged while a request runs (an error, a warning) names that request."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(JsonFormatter().format(record))

    handler = Keep()
    view_log = logging.getLogger("feedback.errors")
    view_log.addHandler(handler)
    try:
        with app.test_request_context("/x", headers={"X-Request-ID": "req-abcdef-123"}):
            try:
                raise ValueError("boom")
            except ValueError:
                view_log.exception("it failed")
    finally:
        view_log.removeHandler(handler)
    [line] = records
    fields = json.loads(line)
    assert fields["request_id"] == "req-abcdef-123"
    assert fields["level"] == "ERROR" and "ValueError: boom" in fields["exception"]
