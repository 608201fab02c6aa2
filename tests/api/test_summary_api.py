"""GET /api/v1/summary: authentication, location scope, query validation, numbers and groups.

The data goes in through the kiosk API, so these tests cover the whole path
from a tap to the summary (ingest, rollups in local time, aggregation).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from feedback.database import write_transaction
from feedback.models import ApiToken
from tests.builders import assert_problem, auth, response_body

URL = "/api/v1/summary"
CHICAGO = ZoneInfo("America/Chicago")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def json_without(body, code: str):
    """``body`` with ``code`` written as <code>, to compare two answers about different codes
    (each answer has its own request id)."""
    body = {key: value for key, value in body.items() if key != "request_id"}
    return json.loads(json.dumps(body).replace(code, "<code>"))


def day0() -> date:
    """A Monday about four weeks ago: every tap below is well inside the accepted clock range."""
    today = datetime.now(CHICAGO).date()
    start = today - timedelta(days=28)
    return start - timedelta(days=start.weekday())


def at(day: date, hh: int, mm: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz)


def store(client, token, taps):
    """Store ``(local datetime, rating, extra fields)`` taps through the batch API."""
    items = [response_body(rating=rating, when=when, **extra) for when, rating, extra in taps]
    resp = client.post("/api/v1/responses/batch", json={"responses": items}, headers=auth(token))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def summary(client, token, **params):
    d = day0()
    params.setdefault("from", d.isoformat())
    params.setdefault("to", (d + timedelta(days=20)).isoformat())
    return client.get(URL, query_string=params, headers=auth(token))


@pytest.fixture
def world(client, build):
    """Two offices: Chicago (SUM-A1, SUM-A2) and Honolulu (SUM-B1), with taps at known local times."""
    chicago = build.office(tz="America/Chicago")
    honolulu = build.office(tz="Pacific/Honolulu")
    a1 = build.location(code="SUM-A1", office=chicago)
    a2 = build.location(code="SUM-A2", office=chicago, survey=a1.survey)
    b1 = build.location(code="SUM-B1", office=honolulu)
    _, a1_token = build.device(a1)
    _, a2_token = build.device(a2)
    _, b1_token = build.device(b1)
    d = day0()
    store(
        client,
        a1_token,
        [
            (at(d, 10, 0, CHICAGO), 5, {}),
            (at(d, 10, 30, CHICAGO), 4, {"followup_offered": ["ease", "humanity"], "followup_chosen": ["humanity"]}),
            (
                at(d + timedelta(days=1), 14, 0, CHICAGO),
                2,
                {"followup_offered": ["ease", "humanity"], "followup_chosen": ["ease"]},
            ),
            (at(d + timedelta(days=8), 9, 0, CHICAGO), 1, {}),
        ],
    )
    # 23:30 in Chicago is the next day in UTC: it must count on its local date.
    store(client, a2_token, [(at(d + timedelta(days=2), 23, 30, CHICAGO), 3, {})])
    store(client, b1_token, [(at(d, 10, 0, HONOLULU), 5, {}), (at(d, 10, 20, HONOLULU), 5, {})])
    _, admin = build.user_token("admin")
    _, manager = build.user_token("manager", [a1])
    return {"a1": a1, "a2": a2, "b1": b1, "admin": admin, "manager": manager, "a1_token": a1_token}


# --- authentication --------------------------------------------------------------------------


def _revoked_api_token(build, session):
    user, token = build.user_token("admin")
    with write_transaction(session):
        for api_token in session.query(ApiToken).filter_by(user_id=user.id):
            api_token.revoked_at = datetime.now(ZoneInfo("UTC"))
    return token


def _inactive_user_token(build, session):
    user, token = build.user_token("admin")
    with write_transaction(session):
        user.active = False
    return token


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda build, session: None, id="no-header"),
        pytest.param(lambda build, session: "Bearer nope", id="unknown-token"),
        pytest.param(lambda build, session: "Bearer ", id="empty-token"),
        pytest.param(lambda build, session: "Bearer " + build.device()[1], id="device-token"),
        pytest.param(lambda build, session: "Bearer " + _revoked_api_token(build, session), id="revoked-token"),
        pytest.param(lambda build, session: "Bearer " + _inactive_user_token(build, session), id="inactive-user"),
    ],
)
def test_summary_without_a_valid_api_token_is_401(client, build, session, make_header):
    header = make_header(build, session)
    headers = {"Authorization": header} if header is not None else {}
    d = day0().isoformat()
    resp = client.get(URL, query_string={"from": d, "to": d}, headers=headers)
    problem = assert_problem(resp, 401, "authorization")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem["title"] == "Unauthorized"


def test_a_valid_token_is_accepted_and_its_last_use_recorded(client, build, session):
    user, token = build.user_token("admin")
    assert session.query(ApiToken).filter_by(user_id=user.id).one().last_used_at is None
    d = day0().isoformat()
    with client.get(URL, query_string={"from": d, "to": d}, headers=auth(token)) as resp:
        assert resp.status_code == 200
    # Recorded once the answer was sent (closed), never inside the read (tests/api/test_token_use.py).
    session.rollback()  # end this test's read snapshot to see the request's commit
    session.expire_all()
    assert session.query(ApiToken).filter_by(user_id=user.id).one().last_used_at is not None


# --- scope -----------------------------------------------------------------------------------


def test_an_admin_sees_every_location(client, world):
    resp = summary(client, world["admin"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["locations"] == ["SUM-A1", "SUM-A2", "SUM-B1"]
    assert body["total"]["count"] == 7

    for code, count in (("SUM-A1", 4), ("SUM-A2", 1), ("SUM-B1", 2)):
        one = summary(client, world["admin"], location=code).get_json()
        assert (one["locations"], one["total"]["count"]) == ([code], count)


def test_a_manager_sees_only_assigned_locations(client, world):
    resp = summary(client, world["manager"])
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["locations"] == ["SUM-A1"]
    assert body["total"]["count"] == 4  # not the 3 responses of SUM-A2 and SUM-B1

    by_location = summary(client, world["manager"], group="location").get_json()
    assert [g["key"] for g in by_location["groups"]] == ["SUM-A1"]

    assert summary(client, world["manager"], location="SUM-A1").get_json()["total"]["count"] == 4
    # Codes are case-insensitive.
    assert summary(client, world["manager"], location="sum-a1").get_json()["total"]["count"] == 4


def test_another_office_location_is_404_exactly_like_an_unknown_code(client, world):
    hidden = summary(client, world["manager"], location="SUM-B1")
    unknown = summary(client, world["manager"], location="SUM-ZZ")

    hidden_body = assert_problem(hidden, 404, "location")
    unknown_body = assert_problem(unknown, 404, "location")
    assert json_without(hidden_body, "SUM-B1") == json_without(unknown_body, "SUM-ZZ")
    assert hidden.headers.get("WWW-Authenticate") is None
    # Asking for an allowed and a hidden location together reveals nothing either.
    assert_problem(summary(client, world["manager"], location=["SUM-A1", "SUM-B1"]), 404, "location")
    # The admin sees it.
    assert summary(client, world["admin"], location="SUM-B1").status_code == 200
    assert_problem(summary(client, world["admin"], location="SUM-ZZ"), 404, "location")


def test_several_location_params_sum_those_locations(client, world):
    body = summary(client, world["admin"], location=["SUM-A2", "SUM-B1"]).get_json()
    assert body["locations"] == ["SUM-A2", "SUM-B1"]
    assert body["total"]["count"] == 3


def test_a_manager_without_locations_sees_nothing(client, world, build):
    _user, token = build.user_token("manager", [])
    body = summary(client, token).get_json()
    assert body["locations"] == []
    assert body["total"]["count"] == 0
    assert body["total"]["csat"] is None


# --- numbers ---------------------------------------------------------------------------------


def test_summary_numbers_for_one_location(client, world):
    body = summary(client, world["admin"], location="SUM-A1").get_json()
    d = day0()
    assert body["from"] == d.isoformat()
    assert body["to"] == (d + timedelta(days=20)).isoformat()
    assert body["channel"] is None
    assert body["include_suspect"] is False
    assert body["total"] == {
        "count": 4,
        "positive": 2,  # 4 and 5 on faces5
        "csat": 0.5,
        "mean": 3.0,
        "scale": "faces5",
        "distribution": {"faces5": [1, 1, 0, 1, 1]},
        "suspect_count": 0,
    }
    assert body["followups"] == {
        "positive": [{"choice": "humanity", "chosen": 1, "offered": 1}, {"choice": "ease", "chosen": 0, "offered": 1}],
        "negative": [{"choice": "ease", "chosen": 1, "offered": 1}, {"choice": "humanity", "chosen": 0, "offered": 1}],
    }
    assert "groups" not in body


def test_dates_are_the_office_local_dates(client, world):
    late = day0() + timedelta(days=2)  # SUM-A2's 23:30 tap, the next day in UTC
    same_day = summary(client, world["admin"], location="SUM-A2", **{"from": late.isoformat(), "to": late.isoformat()})
    next_day = late + timedelta(days=1)
    utc_day = summary(
        client, world["admin"], location="SUM-A2", **{"from": next_day.isoformat(), "to": next_day.isoformat()}
    )
    assert same_day.get_json()["total"]["count"] == 1
    assert utc_day.get_json()["total"]["count"] == 0


def test_the_range_is_inclusive_and_limits_the_count(client, world):
    d = day0()
    body = summary(
        client, world["admin"], location="SUM-A1", **{"from": d.isoformat(), "to": (d + timedelta(days=1)).isoformat()}
    ).get_json()
    assert body["total"]["count"] == 3
    week_later = (d + timedelta(days=8)).isoformat()
    body = summary(client, world["admin"], location="SUM-A1", **{"from": week_later, "to": week_later}).get_json()
    assert body["total"]["count"] == 1


def test_channel_filter(client, world):
    assert summary(client, world["admin"], channel="kiosk").get_json()["total"]["count"] == 7
    body = summary(client, world["admin"], channel="qr").get_json()
    assert body["channel"] == "qr"
    assert body["total"]["count"] == 0


def test_suspects_are_left_out_by_default_and_counted_on_request(client, build):
    location = build.location(code="SUM-SUS")
    _device, token = build.device(location)
    _other, other_token = build.device(location)
    t = at(day0() + timedelta(days=3), 11, 0, CHICAGO)
    results = store(client, token, [(t, 5, {}), (t + timedelta(seconds=1), 1, {}), (t + timedelta(seconds=3), 4, {})])
    assert [r["suspect"] for r in results["results"]] == [False, True, False]
    # The same second on another kiosk is a different visitor.
    assert store(client, other_token, [(t, 2, {})])["results"][0]["suspect"] is False
    _user, admin = build.user_token("admin")

    default = summary(client, admin, location="SUM-SUS").get_json()["total"]
    assert default["count"] == 3
    assert default["suspect_count"] == 1
    assert default["distribution"] == {"faces5": [0, 1, 0, 1, 1]}

    with_suspects = summary(client, admin, location="SUM-SUS", include_suspect="true").get_json()
    assert with_suspects["include_suspect"] is True
    assert with_suspects["total"]["count"] == 4
    assert with_suspects["total"]["suspect_count"] == 1
    assert with_suspects["total"]["distribution"] == {"faces5": [1, 1, 0, 1, 1]}


def test_mixed_scales_report_csat_by_each_scale_rule_and_no_mean(client, build):
    office = build.office(tz="America/Chicago")
    faces = build.location(code="SUM-M1", office=office, scale="faces5")
    thumbs = build.location(code="SUM-M2", office=office, scale="thumbs")
    _d1, faces_token = build.device(faces)
    _d2, thumbs_token = build.device(thumbs)
    t = at(day0() + timedelta(days=4), 12, 0, CHICAGO)
    store(client, faces_token, [(t, 5, {}), (t + timedelta(minutes=1), 2, {})])
    store(client, thumbs_token, [(t, 2, {}), (t + timedelta(minutes=1), 1, {})])
    _user, admin = build.user_token("admin")

    body = summary(client, admin, location=["SUM-M1", "SUM-M2"]).get_json()

    assert body["total"] == {
        "count": 4,
        "positive": 2,  # 5 of 5, and thumbs up
        "csat": 0.5,
        "mean": None,
        "scale": "mixed",
        "distribution": {"faces5": [0, 1, 0, 0, 1], "thumbs": [1, 1]},
        "suspect_count": 0,
    }
    thumbs_only = summary(client, admin, location="SUM-M2").get_json()["total"]
    assert (thumbs_only["scale"], thumbs_only["mean"], thumbs_only["csat"]) == ("thumbs", 1.5, 0.5)


# --- groups ----------------------------------------------------------------------------------


def _counts(body):
    return {g["key"]: g["count"] for g in body["groups"]}


def test_group_by_day(client, world):
    d = day0()
    body = summary(client, world["admin"], location="SUM-A1", group="day").get_json()
    assert body["group"] == "day"
    assert _counts(body) == {
        d.isoformat(): 2,
        (d + timedelta(days=1)).isoformat(): 1,
        (d + timedelta(days=8)).isoformat(): 1,
    }
    first = body["groups"][0]
    assert (first["key"], first["csat"], first["mean"]) == (d.isoformat(), 1.0, 4.5)


def test_group_by_week(client, world):
    d = day0()  # a Monday
    week = lambda day: "{}-W{:02d}".format(*day.isocalendar()[:2])  # noqa: E731
    body = summary(client, world["admin"], location="SUM-A1", group="week").get_json()
    assert _counts(body) == {week(d): 3, week(d + timedelta(days=8)): 1}


def test_group_by_month(client, world):
    d = day0()
    expected: dict[str, int] = {}
    for day in (d, d, d + timedelta(days=1), d + timedelta(days=8)):
        key = f"{day.year}-{day.month:02d}"
        expected[key] = expected.get(key, 0) + 1
    body = summary(client, world["admin"], location="SUM-A1", group="month").get_json()
    assert _counts(body) == expected


def test_group_by_hour_of_day_and_weekday(client, world):
    d = day0()
    body = summary(client, world["admin"], location="SUM-A1", group="hour").get_json()
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    expected = {
        f"{names[d.weekday()]}-10": 2,
        f"{names[(d + timedelta(days=1)).weekday()]}-14": 1,
        f"{names[(d + timedelta(days=8)).weekday()]}-09": 1,
    }
    assert _counts(body) == expected
    ten = next(g for g in body["groups"] if g["key"].endswith("-10"))
    assert (ten["weekday"], ten["hour"]) == (d.weekday(), 10)


def test_group_by_hour_uses_each_office_local_time(client, world):
    body = summary(client, world["admin"], location="SUM-B1", group="hour").get_json()
    assert [(g["hour"], g["count"]) for g in body["groups"]] == [(10, 2)]


def test_group_by_location(client, world):
    body = summary(client, world["admin"], group="location").get_json()
    assert _counts(body) == {"SUM-A1": 4, "SUM-A2": 1, "SUM-B1": 2}
    assert sum(g["count"] for g in body["groups"]) == body["total"]["count"]


# --- invalid queries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"from": None}, "from", id="missing-from"),
        pytest.param({"to": None}, "to", id="missing-to"),
        pytest.param({"from": "yesterday"}, "from", id="from-not-a-date"),
        pytest.param({"from": "2026-02-30"}, "from", id="from-impossible-date"),
        pytest.param({"to": "2026-13-01"}, "to", id="to-bad-month"),
        pytest.param({"from": "2026-03-10", "to": "2026-03-09"}, "to", id="to-before-from"),
        pytest.param({"from": "2020-01-01", "to": "2026-01-01"}, "to", id="range-too-long"),
        pytest.param({"group": "year"}, "group", id="group-unknown"),
        pytest.param({"group": ""}, "group", id="group-empty"),
        pytest.param({"channel": "sms"}, "channel", id="channel-unknown"),
        pytest.param({"include_suspect": "maybe"}, "include_suspect", id="include-suspect-not-bool"),
        pytest.param({"location": ""}, "location", id="location-empty"),
        pytest.param({"location": "X" * 33}, "location", id="location-too-long"),
        pytest.param({"colour": "red"}, "colour", id="unknown-param"),
    ],
)
def test_invalid_query_is_422(client, build, params, field):
    _user, token = build.user_token("admin")
    d = day0()
    query = {"from": d.isoformat(), "to": (d + timedelta(days=1)).isoformat()}
    query.update(params)
    query = {k: v for k, v in query.items() if v is not None}
    problem = assert_problem(client.get(URL, query_string=query, headers=auth(token)), 422, field)
    assert problem["title"] == "Unprocessable Content"


def test_one_day_range_is_valid(client, build):
    _user, token = build.user_token("admin")
    d = day0().isoformat()
    resp = client.get(URL, query_string={"from": d, "to": d}, headers=auth(token))
    assert resp.status_code == 200
    assert resp.get_json()["total"]["count"] == 0
