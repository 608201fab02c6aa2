"""Extreme instants, dates and cursors on the device and read APIs: a 422 naming the field, never a 500.

Python's dates end at years 1 and 9999, and the code does arithmetic on them (a repeat-tap window
around a tap, the day after a range, the Monday of a week); values at either end used to overflow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import assert_problem, auth, response_body
from tests.helpers.ingest_api import post_batch, stored_counts

EXTREME_TIMES = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T05:00:00+05:00",
]


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_a_single_response_at_the_ends_of_time_is_refused_with_422(client, build, when):
    _device, token = build.device()
    resp = client.post("/api/v1/responses", json=response_body(client_time=when), headers=auth(token))
    assert_problem(resp, 422, "client_time")
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_a_batch_item_at_the_ends_of_time_is_refused_by_its_index(client, build, when):
    _device, token = build.device()
    good = response_body(when=datetime.now(UTC) - timedelta(minutes=5))
    resp = post_batch(client, token, [good, response_body(client_time=when)])
    body = assert_problem(resp, 422, "1")
    assert "client_time" in body["errors"]["1"]
    assert "0" not in body["errors"]
    assert stored_counts() == (0, 0)


@pytest.fixture
def reader(build):
    location = build.location(code="EXT-1")
    _user, token = build.user_token()
    return location, token


RANGES = [
    {"from": "9999-12-01", "to": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-01-31"},
    {"from": "0001-01-01", "to": "0001-01-01", "group": "week"},
    {"from": "0001-01-01", "to": "0001-03-01", "group": "month"},
    {"from": "9999-12-31", "to": "9999-12-31", "group": "week"},
]


@pytest.mark.parametrize("path", ["/api/v1/summary", "/api/v1/responses"])
@pytest.mark.parametrize("query", RANGES)
def test_dates_at_the_ends_of_the_calendar_are_refused(client, reader, path, query):
    _location, token = reader
    if path == "/api/v1/responses":
        query = {k: v for k, v in query.items() if k != "group"}
    resp = client.get(path, query_string=query, headers=auth(token))
    body = assert_problem(resp, 422)
    assert set(body["errors"]) & {"from", "to"}, body


@pytest.mark.parametrize(
    "cursor",
    ["99999999999999999999_" + "0" * 32, "-99999999999999999999_" + "0" * 32, "253402300799999999_" + "0" * 32],
)
def test_a_cursor_beyond_the_calendar_is_refused(client, reader, cursor):
    _location, token = reader
    query = {"from": "2026-01-01", "to": "2026-01-31", "after": cursor}
    resp = client.get("/api/v1/responses", query_string=query, headers=auth(token))
    assert_problem(resp, 422, "after")


def test_dates_well_inside_the_calendar_still_answer(client, reader):
    _location, token = reader
    resp = client.get(
        "/api/v1/summary", query_string={"from": "2999-12-01", "to": "2999-12-31", "group": "week"}, headers=auth(token)
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = client.get("/api/v1/responses", query_string={"from": "1900-01-01", "to": "1900-01-31"}, headers=auth(token))
    assert resp.status_code == 200
