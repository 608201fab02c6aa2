"""``/metrics`` in the Prometheus text format, and the request hook that times ingest and pages.

Only a bearer of ``METRICS_TOKEN`` is answered (compared in constant time); while it is unset
``/metrics`` answers 404, so a default install shows nothing.

Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder of this instance's own: each
worker writes its counters there, a scrape (answered by any one worker) adds them all up
(``MultiProcessCollector``), and gunicorn.conf.py empties the folder at start and marks a dead
worker's files. Without it (one process, tests) the default registry is read.

The database's facts are read at scrape time, not kept in a process: kiosks by state and their
reported queues (``services.fleet``), and the office of each location, which turns the responses
counted by location id into ``feedback_responses_stored_total{channel, office}``. If the database
cannot be read, those families are left out and ``feedback_metrics_database_up`` is 0; the
counters of the processes (refusals, latency, ...) are still answered.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from feedback import clock, metrics
from feedback.extensions import db
from feedback.http import bearer_token
from feedback.request_log import elapsed
from feedback.services import fleet
from feedback.services.fleet import KIOSK_STATES, KioskState

log = logging.getLogger(__name__)

metrics_bp = Blueprint("metrics", __name__)

# Endpoints that store responses: timed in the ingest histogram, their refusals counted by reason.
INGEST_ENDPOINTS = frozenset({"device_api.post_response", "device_api.post_batch", "phone.answer"})
PAGE_BLUEPRINT = "admin"
# The classic text format, which every Prometheus reads (the names here need nothing newer).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REFUSALS = {
    400: "malformed",
    401: "unauthorized",
    403: "not_own_answer",  # a phone updating an answer another phone made
    404: "unknown_location",
    409: "closed",  # a phone answer that can no longer change (device API: counted as a conflict)
    410: "retired_location",
    413: "too_large",
    414: "too_large",
    415: "not_json",
    422: "invalid",
    429: "rate_limited",
    500: "error",
    503: "unavailable",
}


def init_app(app: Flask) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and not os.path.isdir(folder):  # else every counted request would fail, not the start
        raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR must name an existing folder, got {folder!r}")
    app.register_blueprint(metrics_bp)
    app.after_request(_observe)


def _observe(response: Response) -> Response:
    endpoint = request.endpoint or ""
    status = response.status_code
    if endpoint in INGEST_ENDPOINTS and request.method == "POST":
        metrics.ingest_latency(endpoint, elapsed())
        if status == 409 and endpoint.startswith("device_api."):
            metrics.conflict()
        elif status >= 400:
            metrics.rejected(REFUSALS.get(status, f"status_{status}"))
    elif endpoint.startswith(f"{PAGE_BLUEPRINT}."):
        metrics.page_latency(endpoint, elapsed())
    return response


@metrics_bp.get("/metrics")
def scrape() -> Response:
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    given = bearer_token(request) or ""
    # Digests first: compare_digest then takes as long whatever the length of the guess.
    if not hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()):
        raise Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "metrics"}))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(_process_metrics(), _database_facts()))
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})


class _DefaultRegistry:
    """The default registry as one collector (a single process: tests, ``flask run``)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def _process_metrics() -> Any:
    """What the processes counted: every gunicorn worker's (multiprocess mode), or this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return MultiProcessCollector(None)
    return _DefaultRegistry()


class _Facts:
    def __init__(self, offices: dict[int, str] | None = None, kiosks: list[KioskState] | None = None) -> None:
        self.offices, self.kiosks = offices, kiosks


def _database_facts() -> _Facts:
    try:
        facts = _Facts(fleet.office_of_locations(db.session), fleet.kiosk_states(db.session, clock.now()))
        db.session.rollback()  # a read only: end its transaction now
        return facts
    except Exception:  # metrics answer without the database's part rather than not at all
        log.warning("/metrics: the database could not be read; its facts are left out", exc_info=True)
        with suppress(Exception):
            db.session.rollback()
        return _Facts()


class _Scrape:
    """One scrape: the processes' metrics (responses turned from location ids into offices), then
    the database's facts."""

    def __init__(self, source: Any, facts: _Facts) -> None:
        self.source, self.facts = source, facts

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            if family.name == metrics.RESPONSES_STORED_NAME:
                if self.facts.offices is not None:
                    yield _by_office(family, self.facts.offices)
            else:
                yield family
        up = GaugeMetricFamily(
            "feedback_metrics_database_up", "1 if this scrape could read the database's facts (kiosks, offices)."
        )
        up.add_metric([], 0 if self.facts.kiosks is None else 1)
        yield up
        if self.facts.kiosks is not None:
            yield from _kiosk_families(self.facts.kiosks)


def _by_office(family: Metric, offices: dict[int, str]) -> Metric:
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for sample in family.samples:
        if sample.name.endswith("_total"):
            office = offices.get(int(sample.labels["location_id"]), "unknown")
            totals[(sample.labels["channel"], office)] += sample.value
    out = CounterMetricFamily(
        family.name,
        "Responses stored now (not replays), by channel (kiosk, qr) and office slug.",
        labels=["channel", "office"],
    )
    for (channel, office), value in sorted(totals.items()):
        out.add_metric([channel, office], value)
    return out


def _kiosk_families(kiosks: list[KioskState]) -> Iterator[Metric]:
    by_state = GaugeMetricFamily(
        "feedback_kiosks",
        "Enrolled kiosks by office and state: online, silent (quiet too long during opening hours), revoked.",
        labels=["office", "state"],
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for kiosk in kiosks:
        counts[(kiosk.office, kiosk.state)] += 1
    for office in sorted({k.office for k in kiosks}):
        for state in KIOSK_STATES:
            by_state.add_metric([office, state], counts[(office, state)])
    yield by_state
    queue = GaugeMetricFamily(
        "feedback_kiosk_queue_length",
        "Taps waiting in a kiosk's outbox, as its last heartbeat reported (kiosks not revoked).",
        labels=["office", "location", "device"],
    )
    quarantined = GaugeMetricFamily(
        "feedback_kiosk_quarantined",
        "Taps a kiosk holds back after they kept failing, as its last heartbeat reported.",
        labels=["office", "location", "device"],
    )
    for kiosk in kiosks:
        if kiosk.state == "revoked":
            continue
        labels = [kiosk.office, kiosk.location, str(kiosk.device_id)]
        if kiosk.queue_length is not None:
            queue.add_metric(labels, kiosk.queue_length)
        if kiosk.quarantined is not None:
            quarantined.add_metric(labels, kiosk.quarantined)
    yield queue
    yield quarantined
