"""GET /api/v1/responses: raw responses in the caller's scope, by local date, in pages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tests.builders import auth, response_body

NOW = datetime.now(UTC)


def post(client, token, when, rating=4, **extra):
    body = response_body(rating=rating, when=when, **extra)
    assert client.post("/api/v1/responses", json=body, headers=auth(token)).status_code == 201
    return body


def test_lists_responses_with_device_location_channel_in_pages(client, build):
    office = build.office(tz="America/Chicago")
    device, token = build.device(location=build.location(code="HOU-C1", office=office))
    _user, api = build.user_token("admin")
    # Yesterday 18:00 UTC is midday in Chicago, so all five fall on that local date.
    base = datetime.combine(NOW.date() - timedelta(days=1), time(18, 0), UTC)
    bodies = [post(client, token, base - timedelta(minutes=10 * i), rating=1 + i) for i in range(5)]
    day = base.date().isoformat()
    url = f"/api/v1/responses?location=HOU-C1&from={day}&to={day}&limit=2"
    first = client.get(url, headers=auth(api))
    assert first.status_code == 200, first.get_json()
    page = first.get_json()
    # Oldest first: the last posted is the oldest.
    assert [r["id"] for r in page["responses"]] == [bodies[4]["id"], bodies[3]["id"]]
    row = page["responses"][0]
    assert (row["location"], row["device"], row["channel"], row["rating"], row["language"]) == (
        "HOU-C1",
        device.id,
        "kiosk",
        5,
        "en",
    )
    seen = [r["id"] for r in page["responses"]]
    cursor = page["next_cursor"]
    while cursor:
        page = client.get(f"{url}&after={cursor}", headers=auth(api)).get_json()
        seen += [r["id"] for r in page["responses"]]
        cursor = page["next_cursor"]
    assert seen == [b["id"] for b in reversed(bodies)]
    assert client.get(f"/api/v1/responses?from={day}&to={day}&channel=qr", headers=auth(api)).get_json() == {
        "responses": [],
        "next_cursor": None,
    }


def test_local_dates_per_office(client, build):
    chicago = build.location(code="CHI-1", office=build.office(tz="America/Chicago"))
    honolulu = build.location(code="HNL-1", office=build.office(tz="Pacific/Honolulu"))
    _d1, t1 = build.device(location=chicago)
    _d2, t2 = build.device(location=honolulu)
    _user, api = build.user_token("admin")
    # 07:30 UTC yesterday is 01:30 or 02:30 that day in Chicago, but 21:30 the day before in Honolulu.
    day = NOW.date() - timedelta(days=1)
    moment = datetime.combine(day, time(7, 30), UTC)
    post(client, t1, moment)
    post(client, t2, moment)
    on_day = client.get(f"/api/v1/responses?from={day}&to={day}", headers=auth(api)).get_json()
    before = day - timedelta(days=1)
    on_day_before = client.get(f"/api/v1/responses?from={before}&to={before}", headers=auth(api)).get_json()
    assert [r["location"] for r in on_day["responses"]] == ["CHI-1"]
    assert [r["location"] for r in on_day_before["responses"]] == ["HNL-1"]


def test_manager_scope_and_errors(client, build):
    mine = build.location(code="MINE-1")
    other = build.location(code="OTHER-1")
    _d, token = build.device(location=other)
    post(client, token, NOW)
    _user, api = build.user_token("manager", [mine])
    day = NOW.date().isoformat()
    assert client.get(f"/api/v1/responses?location=OTHER-1&from={day}&to={day}", headers=auth(api)).status_code == 404
    everything = client.get(f"/api/v1/responses?from={day}&to={day}", headers=auth(api)).get_json()
    assert everything["responses"] == [] and everything["next_cursor"] is None
    assert client.get(f"/api/v1/responses?from={day}&to={day}").status_code == 401
    bad = client.get(f"/api/v1/responses?from={day}&to={day}&after=nonsense", headers=auth(api))
    assert bad.status_code == 422 and "after" in bad.get_json()["errors"]
    assert client.get(f"/api/v1/responses?from={day}&to={day}&limit=5000", headers=auth(api)).status_code == 422
