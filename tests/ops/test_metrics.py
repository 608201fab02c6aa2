"""/metrics (issue 15, item 6): hidden unless a token is set, the token checked, and exact counts
after known traffic: responses by channel and office, replays, conflicts, refusals by reason,
latency, kiosks by state with their queues, scheduled job runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from feedback import metrics
from feedback.database import write_transaction
from feedback.models import Device
from tests.builders import auth, response_body
from tests.helpers.scrape import METRICS_TOKEN, delta, scrape
from tests.phone.helpers import answer, slug_for

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_2PM = datetime(2026, 11, 30, 14, 0, tzinfo=CHICAGO).astimezone(UTC)


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", METRICS_TOKEN)
    return METRICS_TOKEN


@pytest.fixture
def clock(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK", lambda: MONDAY_2PM)
    return MONDAY_2PM


def test_metrics_answers_404_while_no_token_is_set(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=auth("anything-at-all-0123456789")).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, auth("wrong-token-wrong-token-wrong"), auth(METRICS_TOKEN[:-1]), {"Authorization": f"Basic {METRICS_TOKEN}"}],
    ids=["none", "wrong", "a-prefix", "not-bearer"],
)
def test_metrics_refuses_a_missing_or_wrong_token(client, token, headers):
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert b"feedback_" not in resp.get_data()


def test_metrics_answers_the_token_in_the_prometheus_format(client, token):
    resp = client.get("/metrics", headers=auth(token))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert resp.headers["Cache-Control"] == "no-store"
    assert scrape(client).value("feedback_metrics_database_up") == 1


def test_counts_after_known_traffic(app, client, new_client, build, session, token):
    office = build.office(name=f"Metrics Office {uuid.uuid4().hex[:6]}")
    location = build.location(office=office)
    _device, device_token = build.device(location)
    slug = slug_for(session, location)
    before = scrape(client)

    taps = [response_body(rating=r) for r in (5, 4, 1)]
    for body in taps:
        assert client.post("/api/v1/responses", json=body, headers=auth(device_token)).status_code == 201
    # A batch of two new taps and one already stored (a replay), then a single replay.
    batch = {"responses": [response_body(rating=3), response_body(rating=2), taps[0]]}
    assert client.post("/api/v1/responses/batch", json=batch, headers=auth(device_token)).status_code == 201
    assert client.post("/api/v1/responses", json=taps[1], headers=auth(device_token)).status_code == 200
    # The same id with another body: a conflict; a rating off the scale and an unknown token: refusals.
    conflicting = {**taps[2], "rating": 2}
    assert client.post("/api/v1/responses", json=conflicting, headers=auth(device_token)).status_code == 409
    assert client.post("/api/v1/responses", json=response_body(rating=9), headers=auth(device_token)).status_code == 422
    assert client.post("/api/v1/responses", json=response_body(), headers=auth("not-a-device")).status_code == 401
    # One phone answer, and a post with the honeypot field filled (thanked, dropped).
    assert answer(new_client(), slug, 4, json=True)[0].status_code == 200
    assert answer(new_client(), slug, 5, website="http://spam.example", json=True)[0].status_code == 200

    after = scrape(client)
    stored = "feedback_responses_stored_total"
    assert delta(before, after, stored, channel="kiosk", office=office.slug) == 5
    assert delta(before, after, stored, channel="qr", office=office.slug) == 1
    assert delta(before, after, "feedback_responses_replayed_total") == 2
    assert delta(before, after, "feedback_ingest_conflicts_total") == 1
    rejected = "feedback_ingest_rejected_total"
    assert delta(before, after, rejected, reason="invalid") == 1
    assert delta(before, after, rejected, reason="unauthorized") == 1
    assert delta(before, after, rejected, reason="honeypot") == 1
    assert sum(after.named(rejected).values()) - sum(before.named(rejected).values()) == 3
    latency = "feedback_ingest_duration_seconds_count"
    assert delta(before, after, latency, endpoint="device_api.post_response") == 7
    assert delta(before, after, latency, endpoint="device_api.post_batch") == 1
    assert delta(before, after, latency, endpoint="phone.answer") == 2
    # No response label carries a location id or code: offices only.
    assert all(dict(labels).keys() == {"channel", "office"} for labels in after.named(stored))


def test_admin_pages_are_timed_by_endpoint(client, token):
    before = scrape(client)
    assert client.get("/admin/login").status_code == 200
    assert client.get("/admin/login").status_code == 200
    after = scrape(client)
    assert delta(before, after, "feedback_page_duration_seconds_count", endpoint="admin.login") == 2
    assert after.value("feedback_page_duration_seconds_bucket", endpoint="admin.login", le="+Inf") >= 2
    # Kiosk and phone pages are not admin pages.
    assert not [labels for labels in after.named("feedback_page_duration_seconds_count") if "metrics" in str(labels)]


def test_kiosks_by_state_and_their_queues(app, client, build, session, token, clock):
    office = build.office(name=f"Kiosk State Office {uuid.uuid4().hex[:6]}", tz="America/Chicago")
    location = build.location(office=office)
    online, online_token = build.device(location)
    silent, _ = build.device(location)
    revoked, _ = build.device(location)
    with write_transaction(session):
        for device in (online, silent, revoked):
            session.get(Device, device.id).created_at = clock - timedelta(days=7)
        session.get(Device, silent.id).last_seen_at = clock - timedelta(hours=4)  # since 10:00, open
        session.get(Device, silent.id).queue_length = 3
        session.get(Device, revoked.id).revoked_at = clock - timedelta(days=1)
        session.get(Device, revoked.id).queue_length = 50
    beat = {"app_version": "1.0", "queue_length": 7, "last_error": None, "quarantined": 2}
    assert client.post("/api/v1/devices/heartbeat", json=beat, headers=auth(online_token)).status_code == 200

    after = scrape(client)
    for state in ("online", "silent", "revoked"):
        assert after.value("feedback_kiosks", office=office.slug, state=state) == 1, state
    labels = {"office": office.slug, "location": location.code}
    assert after.value("feedback_kiosk_queue_length", **labels, device=str(online.id)) == 7
    assert after.value("feedback_kiosk_quarantined", **labels, device=str(online.id)) == 2
    assert after.value("feedback_kiosk_queue_length", **labels, device=str(silent.id)) == 3
    # A revoked kiosk's last report is stale: it shows only in the count of revoked kiosks.
    assert ("feedback_kiosk_queue_length", frozenset({**labels, "device": str(revoked.id)}.items())) not in after


def test_scheduled_job_runs_and_failures(client, token):
    before = scrape(client)
    metrics.job_ran("metrics-test-job", ok=True, seconds=0.2)
    metrics.job_ran("metrics-test-job", ok=True, seconds=3)
    metrics.job_ran("metrics-test-job", ok=False, seconds=1)
    after = scrape(client)
    runs = "feedback_job_runs_total"
    assert delta(before, after, runs, job="metrics-test-job", outcome="ok") == 2
    assert delta(before, after, runs, job="metrics-test-job", outcome="failed") == 1
    assert delta(before, after, "feedback_job_duration_seconds_count", job="metrics-test-job") == 3
    assert delta(before, after, "feedback_job_duration_seconds_sum", job="metrics-test-job") == pytest.approx(4.2)


def test_metrics_still_answer_while_the_database_cannot(unreachable_app, monkeypatch):
    monkeypatch.setitem(unreachable_app.config, "METRICS_TOKEN", METRICS_TOKEN)
    metrics.conflict()
    after = scrape(unreachable_app.test_client())
    assert after.value("feedback_metrics_database_up") == 0
    assert not after.named("feedback_kiosks")
    assert not after.named("feedback_responses_stored_total")  # its office labels need the database
    assert after.value("feedback_ingest_conflicts_total") >= 1  # what the processes counted still shows
