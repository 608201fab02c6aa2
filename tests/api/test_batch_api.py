"""POST /api/v1/responses/batch: all or nothing, replays reported per item, repeat taps.

Every refused batch is checked to have stored nothing: no row in ``responses``
and no count in the ``response_hourly`` rollup, read on a separate connection.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Response, ResponseHourly
from tests.builders import add_survey_version, assert_problem, auth, response_body
from tests.helpers.ingest_api import post_batch, stored_counts, stored_ids, stored_row

URL = "/api/v1/responses/batch"
RESPONSES = Response.__table__
HOURLY = ResponseHourly.__table__


def base_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def spaced(n: int, start=None, step=timedelta(seconds=10), **overrides) -> list[dict]:
    """``n`` valid bodies, ``step`` apart (no repeat taps)."""
    start = start or base_time()
    return [response_body(rating=1 + i % 5, when=start + i * step, **overrides) for i in range(n)]


@pytest.fixture
def kiosk(build):
    return build.device()


def test_a_batch_is_stored_in_one_go_with_a_result_per_item(client, kiosk):
    device, token = kiosk
    device_id, location_id = device.id, device.location_id
    items = spaced(3)
    items[1]["followup_offered"] = ["ease", "humanity"]
    items[1]["followup_chosen"] = ["humanity"]

    resp = post_batch(client, token, items)

    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    assert resp.get_json() == {
        "created": 3,
        "replayed": 0,
        "results": [{"id": item["id"], "status": 201, "suspect": False} for item in items],
    }
    assert stored_counts() == (3, 3)
    for item in items:
        row = stored_row(item["id"])
        assert (row.device_id, row.location_id, row.channel) == (device_id, location_id, "kiosk")
        assert row.rating == item["rating"]
        assert row.client_time == datetime.fromisoformat(item["client_time"])
    assert stored_row(items[1]["id"]).followup_chosen == ["humanity"]


def test_the_largest_batch_is_accepted(app, client, kiosk):
    _device, token = kiosk
    limit = app.config["BATCH_MAX_ITEMS"]
    items = spaced(limit, start=base_time() - timedelta(hours=3), step=timedelta(seconds=3))
    resp = post_batch(client, token, items)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["created"], body["replayed"]) == (limit, 0)
    assert [r["id"] for r in body["results"]] == [i["id"] for i in items]
    assert not any(r["suspect"] for r in body["results"])
    assert stored_counts() == (limit, limit)


# --- all or nothing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        pytest.param({"rating": 9}, "rating", id="rating-out-of-range"),
        pytest.param({"rating": "4"}, "rating", id="rating-string"),
        pytest.param({"id": "nope"}, "id", id="id-not-uuid"),
        pytest.param({"location": "ELSEWHERE"}, "location", id="unknown-field"),
        pytest.param(
            {"followup_offered": ["ease"], "followup_chosen": ["ease", "other"]},
            "followup_chosen",
            id="chosen-not-offered",
        ),
        pytest.param("future", "client_time", id="client-time-future"),
        pytest.param("old", "client_time", id="client-time-too-old"),
    ],
)
def test_one_invalid_item_refuses_the_whole_batch_with_errors_keyed_by_index(client, kiosk, bad, field):
    _device, token = kiosk
    items = spaced(4)
    if bad == "future":
        bad = {"client_time": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    elif bad == "old":
        bad = {"client_time": (datetime.now(UTC) - timedelta(days=120)).isoformat()}
    items[2].update(bad)

    problem = assert_problem(post_batch(client, token, items), 422, "2")

    assert set(problem["errors"]) == {"2"}, problem["errors"]
    assert field in problem["errors"]["2"], problem["errors"]
    assert stored_counts() == (0, 0)


def test_every_invalid_item_is_reported(client, kiosk):
    _device, token = kiosk
    items = spaced(5)
    items[0]["rating"] = 0
    items[3]["language"] = "xx"
    items[4]["rating"] = 7

    problem = assert_problem(post_batch(client, token, items), 422)

    assert set(problem["errors"]) == {"0", "3", "4"}
    assert "rating" in problem["errors"]["0"]
    assert "language" in problem["errors"]["3"]
    assert "rating" in problem["errors"]["4"]
    assert stored_counts() == (0, 0)


def test_rule_errors_of_the_survey_are_keyed_by_index_too(client, build):
    _device, token = build.device(scale="thumbs")
    items = spaced(3)
    for item, rating in zip(items, (2, 1, 3), strict=True):
        item["rating"] = rating

    problem = assert_problem(post_batch(client, token, items), 422, "2")

    assert set(problem["errors"]) == {"2"}
    assert list(problem["errors"]["2"]) == ["rating"]
    assert stored_counts() == (0, 0)


def test_survey_version_of_another_location_refuses_the_batch(client, build):
    other_version = build.location().survey.current_version().id
    _device, token = build.device()
    items = spaced(2)
    items[1]["survey_version"] = other_version

    problem = assert_problem(post_batch(client, token, items), 422, "1")
    assert "survey_version" in problem["errors"]["1"]
    assert stored_counts() == (0, 0)


# --- replays and conflicts -------------------------------------------------------------------


def test_a_batch_mixing_replays_and_new_items_reports_200_and_201_per_item(client, kiosk):
    _device, token = kiosk
    a, b, c, d = spaced(4)
    first = post_batch(client, token, [a, b])
    assert first.status_code == 201
    assert stored_counts() == (2, 2)

    resp = post_batch(client, token, [c, a, d, b])

    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["created"], body["replayed"]) == (2, 2)
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (c["id"], 201),
        (a["id"], 200),
        (d["id"], 201),
        (b["id"], 200),
    ]
    assert stored_counts() == (4, 4)
    assert stored_ids() == {a["id"], b["id"], c["id"], d["id"]}


def test_a_batch_of_replays_only_answers_200(client, kiosk):
    _device, token = kiosk
    items = spaced(3)
    assert post_batch(client, token, items).status_code == 201

    resp = post_batch(client, token, items)

    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["created"], body["replayed"]) == (0, 3)
    assert [r["status"] for r in body["results"]] == [200, 200, 200]
    assert stored_counts() == (3, 3)


def test_items_stored_one_by_one_are_replays_in_a_batch(client, kiosk):
    _device, token = kiosk
    a, b = spaced(2)
    single = client.post("/api/v1/responses", json=a, headers=auth(token))
    assert single.status_code == 201

    resp = post_batch(client, token, [a, b])

    assert resp.status_code == 201
    assert [r["status"] for r in resp.get_json()["results"]] == [200, 201]
    assert resp.get_json()["results"][0]["suspect"] is single.get_json()["suspect"]
    assert stored_counts() == (2, 2)


def test_a_stored_item_the_survey_would_now_refuse_is_still_a_replay(client, build, session):
    location = build.location(scale="faces5")
    _device, token = build.device(location)
    a, b = spaced(2)
    a["rating"], b["rating"] = 5, 2
    assert post_batch(client, token, [a]).status_code == 201
    with write_transaction(session):
        add_survey_version(session, location.survey, scale="thumbs", question={"en": "Good?"}, followup_choices=())

    resp = post_batch(client, token, [a, b])

    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert [r["status"] for r in resp.get_json()["results"]] == [200, 201]
    assert stored_counts() == (2, 2)


def test_an_id_already_stored_with_a_different_body_is_409_and_nothing_is_stored(client, kiosk):
    _device, token = kiosk
    a, b, c = spaced(3)
    assert post_batch(client, token, [a]).status_code == 201

    changed = {**a, "rating": 1 if a["rating"] != 1 else 2}
    problem = assert_problem(post_batch(client, token, [b, changed, c]), 409, "1")

    assert problem["title"] == "Conflict"
    assert set(problem["errors"]) == {"1"}
    assert "id" in problem["errors"]["1"]
    assert stored_counts() == (1, 1)
    assert stored_ids() == {a["id"]}
    assert stored_row(a["id"]).rating == a["rating"]


def test_the_same_id_twice_with_the_same_body_stores_one_row(client, kiosk):
    _device, token = kiosk
    a, b = spaced(2)

    resp = post_batch(client, token, [a, b, dict(reversed(list(a.items())))])

    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["created"], body["replayed"]) == (2, 1)
    assert [(r["id"], r["status"]) for r in body["results"]] == [(a["id"], 201), (b["id"], 201), (a["id"], 200)]
    # The repeated item is the same response, not a repeat tap.
    assert [r["suspect"] for r in body["results"]] == [False, False, False]
    assert stored_counts() == (2, 2)


def test_the_same_id_twice_with_different_bodies_is_422_and_nothing_is_stored(client, kiosk):
    _device, token = kiosk
    a, b = spaced(2)
    other = {**a, "language": "es"}

    problem = assert_problem(post_batch(client, token, [a, b, other]), 422, "2")

    assert "id" in problem["errors"]["2"]
    assert stored_counts() == (0, 0)


# --- size and shape --------------------------------------------------------------------------


def test_more_than_the_item_limit_is_a_413_problem(app, client, kiosk):
    _device, token = kiosk
    limit = app.config["BATCH_MAX_ITEMS"]
    items = spaced(limit + 1, start=base_time() - timedelta(hours=3), step=timedelta(seconds=3))

    problem = assert_problem(post_batch(client, token, items), 413, "responses")

    assert str(limit) in problem["detail"]
    assert stored_counts() == (0, 0)


def test_a_body_over_max_content_length_is_413(app, client, kiosk):
    _device, token = kiosk
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = json.dumps({"responses": spaced(1), "padding": "x" * limit})

    resp = client.post(URL, data=data, content_type="application/json", headers=auth(token))

    assert_problem(resp, 413)
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"responses": []}, "responses", id="empty-list"),
        pytest.param({}, "responses", id="missing-responses"),
        pytest.param({"responses": None}, "responses", id="null-responses"),
        pytest.param({"responses": {"0": {}}}, "responses", id="responses-object"),
        pytest.param({"responses": "x"}, "responses", id="responses-string"),
        pytest.param({"responses": [1]}, "0", id="item-not-object"),
        pytest.param({"responses": [{}]}, "0", id="item-empty"),
        pytest.param("list", "body", id="body-is-a-list"),
        pytest.param("extra", "location", id="unknown-top-level-field"),
    ],
)
def test_a_malformed_batch_is_422(client, kiosk, body, field):
    _device, token = kiosk
    if body == "list":
        body = spaced(1)
    elif body == "extra":
        body = {"responses": spaced(1), "location": "HQ"}
    assert_problem(client.post(URL, json=body, headers=auth(token)), 422, field)
    assert stored_counts() == (0, 0)


def test_malformed_json_is_400(client, kiosk):
    _device, token = kiosk
    resp = client.post(URL, data='{"responses": [', content_type="application/json", headers=auth(token))
    assert_problem(resp, 400, "body")
    assert stored_counts() == (0, 0)


def test_wrong_content_type_is_415(client, kiosk):
    _device, token = kiosk
    resp = client.post(URL, data=json.dumps({"responses": spaced(1)}), content_type="text/plain", headers=auth(token))
    assert_problem(resp, 415)
    assert stored_counts() == (0, 0)


# --- repeat taps inside a batch --------------------------------------------------------------


def test_repeat_taps_inside_a_batch_are_flagged(client, kiosk):
    _device, token = kiosk
    t0 = base_time()
    gaps = [0, 1, 5, 6.5, 8, 20]  # seconds after t0; 6.5 and 8 chain on 5
    items = [response_body(when=t0 + timedelta(seconds=g)) for g in gaps]

    resp = post_batch(client, token, items)

    assert resp.status_code == 201
    flags = [r["suspect"] for r in resp.get_json()["results"]]
    assert flags == [False, True, False, True, True, False]
    assert [stored_row(i["id"]).suspect for i in items] == flags
    with db.engine.connect() as conn:
        suspects = conn.scalar(select(func.sum(HOURLY.c.n)).where(HOURLY.c.suspect.is_(True)))
    assert suspects == 3


def test_repeat_taps_are_found_whatever_the_order_of_the_items(client, kiosk):
    _device, token = kiosk
    t0 = base_time()
    items = [response_body(when=t0 + timedelta(seconds=g)) for g in (1, 10, 0)]

    resp = post_batch(client, token, items)

    assert [r["suspect"] for r in resp.get_json()["results"]] == [True, False, False]


def test_a_batch_item_right_after_a_stored_tap_is_suspect(client, kiosk):
    _device, token = kiosk
    t0 = base_time()
    assert client.post("/api/v1/responses", json=response_body(when=t0), headers=auth(token)).status_code == 201

    resp = post_batch(
        client, token, [response_body(when=t0 + timedelta(seconds=1)), response_body(when=t0 + timedelta(seconds=4))]
    )

    assert [r["suspect"] for r in resp.get_json()["results"]] == [True, False]


def test_taps_of_another_device_do_not_make_a_batch_item_suspect(client, build):
    device, token = build.device()
    _other, other_token = build.device(device.location)
    t0 = base_time()
    assert post_batch(client, token, [response_body(when=t0)]).status_code == 201

    resp = post_batch(client, other_token, [response_body(when=t0), response_body(when=t0 + timedelta(seconds=3))])

    assert [r["suspect"] for r in resp.get_json()["results"]] == [False, False]
