"""POST /api/v1/responses and /api/v1/devices/heartbeat, through the HTTP API.

Every refused request is checked to have stored nothing: no row in
``responses`` and no count in the ``response_hourly`` rollup, read on a
separate connection (what is committed, not what a session has cached).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Device, Response, ResponseHourly
from feedback.services import kiosks
from tests.builders import TESTER, add_survey_version, assert_problem, auth, response_body
from tests.helpers.ingest_api import stored_counts, stored_row

URL = "/api/v1/responses"
HEARTBEAT = "/api/v1/devices/heartbeat"
RESPONSES = Response.__table__
HOURLY = ResponseHourly.__table__
DEVICES = Device.__table__


# --- helpers ---------------------------------------------------------------------------------


def device_row(device_id):
    with db.engine.connect() as conn:
        return conn.execute(select(DEVICES).where(DEVICES.c.id == device_id)).one()


def post(client, token, body, url=URL):
    return client.post(url, json=body, headers=auth(token))


def post_raw(client, token, data, content_type="application/json", url=URL):
    headers = auth(token)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(url, data=data, headers=headers)


def utcnow():
    return datetime.now(UTC)


def an_hour_ago():
    return utcnow().replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def kiosk(build):
    """A device (faces5 survey, the default A-11 follow-up choices) and its token."""
    return build.device()


# --- storing one response --------------------------------------------------------------------


def test_post_stores_the_response_with_location_channel_and_device_from_the_token(client, build):
    office = build.office(tz="America/Chicago")
    location = build.location(code="ING-STORE", office=office)
    version_id = location.survey.current_version().id
    location_id = location.id
    device, token = build.device(location)
    device_id = device.id
    when = (utcnow() - timedelta(minutes=3)).astimezone(timezone(timedelta(hours=-5))).replace(microsecond=123456)
    body = response_body(
        rating=4, when=when, language="es", followup_offered=["ease", "humanity"], followup_chosen=["ease"]
    )

    resp = post(client, token, body)

    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    out = resp.get_json()
    received_at = datetime.fromisoformat(out.pop("received_at"))
    assert abs(received_at - utcnow()) < timedelta(seconds=30)
    assert out == {
        "id": body["id"],
        "location": "ING-STORE",
        "survey_version": version_id,
        "device": device_id,
        "channel": "kiosk",
        "rating": 4,
        "followup_offered": ["ease", "humanity"],
        "followup_chosen": ["ease"],
        "language": "es",
        "client_time": when.astimezone(UTC).isoformat(),
        "suspect": False,
    }

    row = stored_row(body["id"])
    assert row is not None
    assert row.location_id == location_id
    assert row.device_id == device_id
    assert row.channel == "kiosk"
    assert row.rating == 4
    assert row.language == "es"
    assert row.client_time == when
    assert row.client_time.utcoffset() == timedelta(0)
    assert row.survey_version_id == version_id
    assert row.followup_offered == ["ease", "humanity"]
    assert row.followup_chosen == ["ease"]
    assert row.suspect is False
    assert row.received_at == received_at
    assert len(row.payload_hash) == 64

    # The rollup got the same response, in the office's local date and hour.
    local = when.astimezone(ZoneInfo("America/Chicago"))
    with db.engine.connect() as conn:
        [bucket] = conn.execute(select(HOURLY)).all()
    assert (bucket.location_id, bucket.local_date, bucket.local_hour) == (location_id, local.date(), local.hour)
    assert (bucket.channel, bucket.scale, bucket.suspect) == ("kiosk", "faces5", False)
    assert (bucket.n, bucket.rating_sum, bucket.r4) == (1, 4, 1)
    assert stored_counts() == (1, 1)


def test_survey_version_may_name_an_older_version_of_the_location_survey(client, build, session):
    location = build.location(scale="faces5")
    old_id = location.survey.current_version().id
    with write_transaction(session):
        new = add_survey_version(
            session, location.survey, scale="thumbs", question={"en": "Good?"}, followup_choices=()
        )
        new_id = new.id
    _device, token = build.device(location)

    # Without survey_version the current (thumbs) version applies, where 4 is out of range...
    assert_problem(post(client, token, response_body(rating=4)), 422, "rating")
    # ...but the kiosk still showing the old faces5 version may say so.
    resp = post(client, token, response_body(rating=4, survey_version=old_id))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["survey_version"] == old_id
    resp = post(client, token, response_body(rating=2))
    assert resp.status_code == 201
    assert resp.get_json()["survey_version"] == new_id
    assert stored_counts() == (2, 2)


# --- idempotency -----------------------------------------------------------------------------


def test_replay_with_the_same_body_answers_200_with_the_stored_record(client, kiosk):
    _device, token = kiosk
    body = response_body(
        rating=3, when=utcnow().astimezone(timezone(timedelta(hours=9, minutes=30))), followup_offered=["ease"]
    )
    first = post(client, token, body)
    assert first.status_code == 201

    again = post(client, token, body)

    assert again.status_code == 200
    assert again.mimetype == "application/json"
    assert again.get_json() == first.get_json()
    assert stored_counts() == (1, 1)


@pytest.mark.parametrize(
    "respell",
    [
        pytest.param(lambda t: t.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(), id="+05:30"),
        pytest.param(lambda t: t.astimezone(timezone(timedelta(hours=-8))).isoformat(), id="-08:00"),
        pytest.param(lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), id="Z"),
    ],
)
def test_replay_with_keys_reordered_and_the_instant_in_another_offset_is_a_replay(client, kiosk, respell):
    _device, token = kiosk
    when = an_hour_ago().replace(microsecond=250000)
    body = response_body(rating=2, when=when, followup_offered=["ease", "efficiency"], followup_chosen=["efficiency"])
    first = post(client, token, body)
    assert first.status_code == 201

    reordered = {key: body[key] for key in reversed(list(body))}
    reordered["client_time"] = respell(when)
    assert reordered["client_time"] != body["client_time"]
    assert list(reordered) != list(body)
    again = post_raw(client, token, json.dumps(reordered))

    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert stored_counts() == (1, 1)


def test_replay_spelling_the_uuid_in_capitals_is_a_replay(client, kiosk):
    _device, token = kiosk
    body = response_body()
    first = post(client, token, body)
    assert first.status_code == 201
    again = post(client, token, {**body, "id": body["id"].upper()})
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert stored_counts() == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"rating": 1}, id="rating"),
        pytest.param({"language": "es"}, id="language"),
        pytest.param({"followup_offered": ["ease"]}, id="followup_offered"),
        pytest.param("client_time", id="client_time+1us"),
    ],
)
def test_same_id_with_a_different_body_is_a_409_conflict_and_keeps_the_stored_record(client, kiosk, change):
    _device, token = kiosk
    when = an_hour_ago()
    body = response_body(rating=5, when=when)
    first = post(client, token, body)
    assert first.status_code == 201
    if change == "client_time":
        change = {"client_time": (when + timedelta(microseconds=1)).isoformat()}

    resp = post(client, token, {**body, **change})

    problem = assert_problem(resp, 409, "id")
    assert problem["title"] == "Conflict"
    assert stored_counts() == (1, 1)
    row = stored_row(body["id"])
    assert (row.rating, row.language, row.client_time, row.followup_offered) == (5, "en", when, [])
    # The original is still answered as a replay.
    assert post(client, token, body).get_json() == first.get_json()


def test_same_id_and_body_from_a_device_of_another_location_is_a_conflict(client, build):
    _d1, token1 = build.device()
    _d2, token2 = build.device()
    body = response_body()
    assert post(client, token1, body).status_code == 201

    assert_problem(post(client, token2, body), 409, "id")
    assert stored_counts() == (1, 1)
    assert stored_row(body["id"]).location_id == _d1.location_id


def test_a_replay_answers_200_even_after_the_survey_changed_scale(client, build, session):
    location = build.location(scale="faces5")
    _device, token = build.device(location)
    body = response_body(rating=4)
    first = post(client, token, body)
    assert first.status_code == 201
    with write_transaction(session):
        add_survey_version(session, location.survey, scale="thumbs", question={"en": "Good?"}, followup_choices=())

    # A new tap is judged by the new scale...
    assert_problem(post(client, token, response_body(rating=4)), 422, "rating")
    # ...but the retry of a stored one is still that stored response.
    again = post(client, token, body)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert stored_counts() == (1, 1)


def test_a_replay_answers_200_even_when_the_tap_has_become_too_old(app, client, kiosk, monkeypatch):
    _device, token = kiosk
    body = response_body(when=utcnow() - timedelta(days=10))
    first = post(client, token, body)
    assert first.status_code == 201
    monkeypatch.setitem(app.config, "CLIENT_TIME_MAX_AGE_DAYS", 5)

    assert_problem(post(client, token, response_body(when=utcnow() - timedelta(days=10))), 422, "client_time")
    again = post(client, token, body)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert stored_counts() == (1, 1)


# --- bad input: always a 4xx problem, never a 500, nothing stored ----------------------------


@pytest.mark.parametrize(
    ("data", "status"),
    [
        pytest.param('{"id": "x", "rating": ', 400, id="truncated"),
        pytest.param("{'id': 1}", 400, id="single-quotes"),
        pytest.param("", 400, id="empty"),
        pytest.param(b"\xff\xfe{\x00", 400, id="not-utf8"),
        pytest.param("[" * 50_000 + "]" * 50_000, 400, id="deeply-nested"),
        pytest.param("null", 422, id="null"),
        pytest.param("[]", 422, id="array"),
        pytest.param('"a string"', 422, id="string"),
        pytest.param("42", 422, id="number"),
        pytest.param("true", 422, id="bool"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, kiosk, data, status):
    _device, token = kiosk
    problem = assert_problem(post_raw(client, token, data), status, "body")
    if status == 400:
        assert problem["title"] == "Bad Request"
    assert stored_counts() == (0, 0)


def _without(key):
    return lambda body: {k: v for k, v in body.items() if k != key}


def _with(**changes):
    return lambda body: {**body, **changes}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        # wrong types
        pytest.param(_with(rating="5"), "rating", id="rating-string"),
        pytest.param(_with(rating=4.0), "rating", id="rating-float-integral"),
        pytest.param(_with(rating=4.5), "rating", id="rating-float"),
        pytest.param(_with(rating=True), "rating", id="rating-bool"),
        pytest.param(_with(rating=None), "rating", id="rating-null"),
        pytest.param(_with(rating=[5]), "rating", id="rating-list"),
        pytest.param(_with(id="not-a-uuid"), "id", id="id-not-uuid"),
        pytest.param(_with(id=12345), "id", id="id-number"),
        pytest.param(_with(id=""), "id", id="id-empty"),
        pytest.param(_with(language="fr"), "language", id="language-unknown"),
        pytest.param(_with(language=1), "language", id="language-number"),
        pytest.param(_with(client_time="2026-01-01T10:00:00"), "client_time", id="client-time-no-offset"),
        pytest.param(_with(client_time="yesterday"), "client_time", id="client-time-text"),
        pytest.param(_with(client_time=1700000000), "client_time", id="client-time-epoch"),
        pytest.param(_with(client_time="9999-12-31T23:59:59-05:00"), "client_time", id="client-time-after-9999"),
        pytest.param(_with(client_time="0001-01-01T00:00:00+05:00"), "client_time", id="client-time-before-1"),
        pytest.param(_with(survey_version="1"), "survey_version", id="survey-version-string"),
        pytest.param(_with(survey_version=2**70), "survey_version", id="survey-version-huge"),
        pytest.param(_with(survey_version=2**31), "survey_version", id="survey-version-over-int32"),
        pytest.param(_with(survey_version=0), "survey_version", id="survey-version-zero"),
        pytest.param(_with(followup_offered="ease"), "followup_offered", id="followup-not-list"),
        pytest.param(_with(followup_offered=None), "followup_offered", id="followup-null"),
        # missing fields
        pytest.param(_without("id"), "id", id="missing-id"),
        pytest.param(_without("rating"), "rating", id="missing-rating"),
        pytest.param(_without("language"), "language", id="missing-language"),
        pytest.param(_without("client_time"), "client_time", id="missing-client-time"),
        # unknown fields: the location, channel and device come from the token
        pytest.param(_with(location="LOC-1"), "location", id="unknown-location"),
        pytest.param(_with(channel="qr"), "channel", id="unknown-channel"),
        pytest.param(_with(device=1), "device", id="unknown-device"),
        pytest.param(_with(suspect=False), "suspect", id="unknown-suspect"),
        # values out of range
        pytest.param(_with(rating=0), "rating", id="rating-zero"),
        pytest.param(_with(rating=-1), "rating", id="rating-negative"),
        pytest.param(_with(rating=6), "rating", id="rating-above-any-scale"),
        pytest.param(_with(rating=10**30), "rating", id="rating-huge"),
        pytest.param(_with(followup_offered=["ghost"]), "followup_offered", id="followup-unknown-choice"),
        # rules of the survey (checked by the ingest service)
        pytest.param(_with(followup_offered=["other"]), "followup_offered", id="followup-not-in-survey"),
        pytest.param(
            _with(followup_offered=["ease"], followup_chosen=["humanity"]), "followup_chosen", id="chosen-not-offered"
        ),
        pytest.param(_with(followup_chosen=["ease"]), "followup_chosen", id="chosen-nothing-offered"),
        pytest.param(_with(followup_offered=["ease", "ease"]), "followup_offered", id="offered-repeats"),
        pytest.param(
            _with(followup_offered=["ease"], followup_chosen=["ease", "ease"]), "followup_chosen", id="chosen-repeats"
        ),
    ],
)
def test_invalid_body_is_a_422_problem_naming_the_field(client, kiosk, mutate, field):
    _device, token = kiosk
    resp = post(client, token, mutate(response_body()))
    problem = assert_problem(resp, 422, field)
    assert problem["title"] == "Unprocessable Content"
    assert all(isinstance(m, str) for m in problem["errors"][field]), problem["errors"]
    assert stored_counts() == (0, 0)


def test_every_missing_field_is_reported_at_once(client, kiosk):
    _device, token = kiosk
    problem = assert_problem(post(client, token, {}), 422, "id", "rating", "language", "client_time")
    assert set(problem["errors"]) == {"id", "rating", "language", "client_time"}
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("scale", "rating", "ok"),
    [
        ("faces4", 5, False),
        ("faces4", 4, True),
        ("three", 4, False),
        ("three", 3, True),
        ("thumbs", 3, False),
        ("thumbs", 2, True),
        ("thumbs", 1, True),
    ],
)
def test_rating_must_fit_the_survey_scale(client, build, scale, rating, ok):
    _device, token = build.device(scale=scale)
    resp = post(client, token, response_body(rating=rating))
    if ok:
        assert resp.status_code == 201, resp.get_data(as_text=True)
        assert stored_counts() == (1, 1)
    else:
        problem = assert_problem(resp, 422, "rating")
        assert "between 1 and" in problem["errors"]["rating"][0]
        assert stored_counts() == (0, 0)


def test_follow_up_offered_by_a_survey_without_follow_up_is_refused(client, build):
    _device, token = build.device(followup=())
    assert_problem(post(client, token, response_body(followup_offered=["ease"])), 422, "followup_offered")
    assert stored_counts() == (0, 0)


def test_survey_version_of_another_location_survey_is_refused(client, build):
    other = build.location()
    other_version = other.survey.current_version().id
    _device, token = build.device()

    assert_problem(post(client, token, response_body(survey_version=other_version)), 422, "survey_version")
    assert_problem(post(client, token, response_body(survey_version=999_999)), 422, "survey_version")
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        pytest.param(timedelta(minutes=4), True, id="4-min-ahead-accepted"),
        pytest.param(timedelta(minutes=6), False, id="6-min-ahead-refused"),
        pytest.param(timedelta(days=2), False, id="2-days-ahead-refused"),
        pytest.param(-timedelta(days=89), True, id="89-days-old-accepted"),
        pytest.param(-timedelta(days=91), False, id="91-days-old-refused"),
        pytest.param(-timedelta(days=3650), False, id="10-years-old-refused"),
    ],
)
def test_client_time_must_be_within_the_accepted_clock_range(client, kiosk, offset, ok):
    _device, token = kiosk
    resp = post(client, token, response_body(when=utcnow() + offset))
    if ok:
        assert resp.status_code == 201, resp.get_data(as_text=True)
        assert stored_counts() == (1, 1)
    else:
        assert_problem(resp, 422, "client_time")
        assert stored_counts() == (0, 0)


def test_body_over_max_content_length_is_413(app, client, kiosk):
    _device, token = kiosk
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = response_body()
    body["padding"] = "x" * limit
    data = json.dumps(body)
    assert len(data) > limit

    problem = assert_problem(post_raw(client, token, data), 413)
    assert str(limit) in problem["detail"]
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json", None])
def test_wrong_content_type_is_415(client, kiosk, content_type):
    _device, token = kiosk
    resp = post_raw(client, token, json.dumps(response_body()), content_type=content_type)
    problem = assert_problem(resp, 415)
    assert "application/json" in problem["detail"]
    assert stored_counts() == (0, 0)


def test_json_with_charset_parameter_is_accepted(client, kiosk):
    _device, token = kiosk
    resp = post_raw(client, token, json.dumps(response_body()), content_type="application/json; charset=utf-8")
    assert resp.status_code == 201
    assert stored_counts() == (1, 1)


# --- authentication --------------------------------------------------------------------------


def _revoked(build, session):
    device, token = build.device()
    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device.id)
    return token


def _switched_off_location(build, session):
    device, token = build.device()
    with write_transaction(session):
        device.location.active = False
    return token


def _user_token(build, session):
    return build.user_token("admin")[1]


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda build, session: None, id="no-header"),
        pytest.param(lambda build, session: "Bearer ", id="empty-bearer"),
        pytest.param(lambda build, session: "Bearer not-a-known-token", id="unknown-token"),
        pytest.param(lambda build, session: "Basic " + build.device()[1], id="basic-scheme"),
        pytest.param(lambda build, session: build.device()[1], id="no-scheme"),
        pytest.param(lambda build, session: "Bearer " + _revoked(build, session), id="revoked"),
        pytest.param(
            lambda build, session: "Bearer " + _switched_off_location(build, session), id="location-switched-off"
        ),
        pytest.param(lambda build, session: "Bearer " + _user_token(build, session), id="personal-api-token"),
    ],
)
@pytest.mark.parametrize("url", [URL, URL + "/batch", HEARTBEAT])
def test_missing_unknown_or_revoked_token_is_401_with_www_authenticate(client, build, session, make_header, url):
    header = make_header(build, session)
    headers = {"Authorization": header} if header is not None else {}
    body = {"responses": [response_body()]} if url.endswith("/batch") else response_body()
    if url == HEARTBEAT:
        body = {"app_version": "1.0", "queue_length": 0}

    resp = client.post(url, json=body, headers=headers)

    problem = assert_problem(resp, 401, "authorization")
    assert problem["title"] == "Unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored_counts() == (0, 0)


def test_revoking_a_device_makes_its_next_request_401(client, build, session):
    device, token = build.device()
    _other, other_token = build.device(device.location)
    assert post(client, token, response_body(when=an_hour_ago())).status_code == 201

    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device.id)

    assert_problem(post(client, token, response_body()), 401, "authorization")
    assert_problem(client.post(HEARTBEAT, json={"app_version": "1", "queue_length": 0}, headers=auth(token)), 401)
    assert stored_counts() == (1, 1)
    # Only that device: another kiosk at the same counter keeps working.
    assert post(client, other_token, response_body()).status_code == 201
    assert stored_counts() == (2, 2)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("patch", URL),
        ("put", URL),
        ("delete", URL),
        ("get", URL + "/batch"),
        ("get", HEARTBEAT),
        ("post", "/api/v1/openapi.json"),
        ("post", "/api/v1/summary"),
    ],
)
def test_wrong_method_is_a_405_problem(client, kiosk, method, url):
    _device, token = kiosk
    resp = getattr(client, method)(url, headers=auth(token))
    problem = assert_problem(resp, 405)
    assert problem["title"] == "Method Not Allowed"
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert method.upper() not in allowed
    assert allowed & {"GET", "POST"}
    assert stored_counts() == (0, 0)


# --- repeat taps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "suspect"),
    [
        (timedelta(seconds=1), True),
        (timedelta(milliseconds=1999), True),
        (timedelta(seconds=2), False),
        (timedelta(seconds=3), False),
    ],
)
def test_a_second_tap_from_the_same_device_inside_2s_is_stored_as_suspect(client, kiosk, gap, suspect):
    _device, token = kiosk
    t0 = an_hour_ago()
    first = post(client, token, response_body(when=t0))
    assert first.status_code == 201
    assert first.get_json()["suspect"] is False

    second = post(client, token, response_body(when=t0 + gap))

    assert second.status_code == 201
    assert second.get_json()["suspect"] is suspect
    assert stored_row(second.get_json()["id"]).suspect is suspect
    assert stored_counts() == (2, 2)  # a suspect is stored and rolled up, only flagged
    with db.engine.connect() as conn:
        flagged = conn.scalar(select(func.coalesce(func.sum(HOURLY.c.n), 0)).where(HOURLY.c.suspect.is_(True)))
    assert flagged == (1 if suspect else 0)


def test_two_taps_in_the_same_instant_count_once_whatever_the_arrival_order(client, kiosk):
    """No client time orders them: the greater id is the repeat, so the flags do not depend on arrival."""
    _device, token = kiosk
    t0 = an_hour_ago()
    first, second = response_body(when=t0), response_body(when=t0)
    assert post(client, token, first).status_code == post(client, token, second).status_code == 201
    flags = {body["id"]: stored_row(body["id"]).suspect for body in (first, second)}
    assert flags == {max(flags, key=uuid.UUID): True, min(flags, key=uuid.UUID): False}
    assert stored_counts() == (2, 2)


def test_a_tap_arriving_after_a_later_one_makes_the_later_one_the_repeat(client, kiosk):
    """An offline queue can deliver the earlier tap last; the pair still counts once, and the repeat
    is the later tap in client time, whatever the arrival order (issue 12, item 11)."""
    _device, token = kiosk
    t0 = an_hour_ago()
    later = post(client, token, response_body(when=t0 + timedelta(seconds=1)))
    assert later.get_json()["suspect"] is False
    earlier = post(client, token, response_body(when=t0))
    assert earlier.status_code == 201
    assert earlier.get_json()["suspect"] is False
    assert stored_row(later.get_json()["id"]).suspect is True  # flipped when the earlier tap arrived
    far = post(client, token, response_body(when=t0 - timedelta(seconds=5)))
    assert far.get_json()["suspect"] is False
    with db.engine.connect() as conn:
        flagged = conn.scalar(select(func.coalesce(func.sum(HOURLY.c.n), 0)).where(HOURLY.c.suspect.is_(True)))
        counted = conn.scalar(select(func.coalesce(func.sum(HOURLY.c.n), 0)).where(HOURLY.c.suspect.is_(False)))
    assert (flagged, counted) == (1, 2)


def test_a_tap_from_another_device_in_the_same_second_is_not_suspect(client, build):
    device, token = build.device()
    _other, other_token = build.device(device.location)
    t0 = an_hour_ago()
    assert post(client, token, response_body(when=t0)).get_json()["suspect"] is False
    resp = post(client, other_token, response_body(when=t0 + timedelta(milliseconds=300)))
    assert resp.status_code == 201
    assert resp.get_json()["suspect"] is False


def test_a_replay_is_not_a_repeat_tap(client, kiosk):
    _device, token = kiosk
    body = response_body(when=an_hour_ago())
    assert post(client, token, body).status_code == 201
    again = post(client, token, body)
    assert again.status_code == 200
    assert again.get_json()["suspect"] is False
    assert stored_counts() == (1, 1)


# --- heartbeat -------------------------------------------------------------------------------


def test_heartbeat_records_last_seen_app_version_queue_length_and_last_error(client, build):
    device, token = build.device(code="HB-1")
    device_id = device.id
    before = device_row(device_id)
    assert (before.last_seen_at, before.app_version, before.queue_length, before.last_error) == (None,) * 4

    resp = client.post(
        HEARTBEAT, json={"app_version": "2.3.1", "queue_length": 7, "last_error": "offline 30s"}, headers=auth(token)
    )

    assert resp.status_code == 200, resp.get_data(as_text=True)
    out = resp.get_json()
    server_time = datetime.fromisoformat(out.pop("server_time"))
    assert out == {"device": device_id, "location": "HB-1"}
    assert abs(server_time - utcnow()) < timedelta(seconds=30)
    row = device_row(device_id)
    assert row.last_seen_at == server_time
    assert (row.app_version, row.queue_length, row.last_error) == ("2.3.1", 7, "offline 30s")

    resp = client.post(HEARTBEAT, json={"app_version": "2.4.0", "queue_length": 0}, headers=auth(token))
    assert resp.status_code == 200
    row = device_row(device_id)
    assert (row.app_version, row.queue_length) == ("2.4.0", 0)
    assert row.last_seen_at >= server_time
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"queue_length": 0}, "app_version", id="missing-app-version"),
        pytest.param({"app_version": "1.0"}, "queue_length", id="missing-queue-length"),
        pytest.param({"app_version": "", "queue_length": 0}, "app_version", id="empty-app-version"),
        pytest.param({"app_version": "v" * 33, "queue_length": 0}, "app_version", id="long-app-version"),
        pytest.param({"app_version": 1, "queue_length": 0}, "app_version", id="app-version-number"),
        pytest.param({"app_version": "1.0", "queue_length": -1}, "queue_length", id="negative-queue"),
        pytest.param({"app_version": "1.0", "queue_length": "3"}, "queue_length", id="queue-string"),
        pytest.param({"app_version": "1.0", "queue_length": 2.5}, "queue_length", id="queue-float"),
        pytest.param({"app_version": "1.0", "queue_length": 2**40}, "queue_length", id="queue-huge"),
        pytest.param(
            {"app_version": "1.0", "queue_length": 0, "last_error": "e" * 2001}, "last_error", id="long-last-error"
        ),
        pytest.param({"app_version": "1.0", "queue_length": 0, "location": "X"}, "location", id="unknown-field"),
    ],
)
def test_heartbeat_with_a_bad_body_is_422_and_changes_nothing(client, kiosk, body, field):
    device, token = kiosk
    device_id = device.id
    assert_problem(client.post(HEARTBEAT, json=body, headers=auth(token)), 422, field)
    row = device_row(device_id)
    assert (row.last_seen_at, row.app_version, row.queue_length, row.last_error) == (None,) * 4


def test_heartbeat_with_malformed_json_is_400(client, kiosk):
    _device, token = kiosk
    assert_problem(post_raw(client, token, "{nope", url=HEARTBEAT), 400, "body")
