"""The service's Prometheus metrics: every definition, and the small functions the code calls.

Callers never touch ``prometheus_client`` themselves: a view, a service or the scheduler calls
``responses_stored(...)``, ``rejected(...)``, ``job_ran(...)`` and so on, so the metric names and
labels live here alone. Only counters and histograms are recorded as events: both work under
gunicorn's several processes (``PROMETHEUS_MULTIPROC_DIR``, see ``feedback/metrics_view.py``),
where each process writes its own values to that folder and a scrape adds them up. Facts of the
database (kiosks by state, their queues, the office of each counter) are read at scrape time
(``feedback/metrics_view.py``), never kept in a process.

Responses are counted by location id, the one value a tap has at hand without another read; the
scrape turns the ids into office labels (``feedback_responses_stored_total{channel, office}``).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# ``_created`` series (a timestamp per label set) add nothing a scrape needs and double the output.
disable_created_metrics()

PREFIX = "feedback"
# Seconds; a tap takes milliseconds, an admin page up to a second or two on a large office.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)

# Recorded by location id; exported by office (feedback/metrics_view.py rewrites the label).
RESPONSES_STORED_NAME = f"{PREFIX}_responses_stored"
RESPONSES_STORED = Counter(
    RESPONSES_STORED_NAME,
    "Responses stored now (not replays), by channel (kiosk, qr) and location id.",
    ["channel", "location_id"],
)
REJECTED = Counter(
    f"{PREFIX}_ingest_rejected",
    "Ingest requests refused, by reason (a refused batch counts once; nothing of it was stored).",
    ["reason"],
)
REPLAYED = Counter(
    f"{PREFIX}_responses_replayed",
    "Responses sent again with an id and body already stored (answered 200, stored once).",
)
CONFLICTS = Counter(
    f"{PREFIX}_ingest_conflicts",
    "Ingest requests answered 409: an id already stored with another body.",
)
INGEST_SECONDS = Histogram(
    f"{PREFIX}_ingest_duration_seconds",
    "Time to answer an ingest request (kiosk tap, kiosk batch, phone answer), by endpoint.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
PAGE_SECONDS = Histogram(
    f"{PREFIX}_page_duration_seconds",
    "Time to answer an admin-site request, by endpoint (a streamed export: until its first byte).",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
ALERTS_SENT = Counter(
    f"{PREFIX}_alerts_sent",
    "Alert e-mails handed to the SMTP server, by alert kind.",
    ["kind"],
)
ALERT_SEND_FAILURES = Counter(
    f"{PREFIX}_alert_send_failures",
    "Alert e-mails the SMTP server did not take (retried later), by alert kind.",
    ["kind"],
)
JOB_RUNS = Counter(
    f"{PREFIX}_job_runs",
    "Scheduled job runs, by job and outcome (ok, failed).",
    ["job", "outcome"],
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "How long a scheduled job run took, by job.",
    ["job"],
    buckets=JOB_BUCKETS,
)


def responses_stored(channel: str, location_id: int, n: int = 1) -> None:
    """``n`` responses of ``channel`` (``kiosk`` or ``qr``) stored now at location ``location_id``."""
    if n > 0:
        RESPONSES_STORED.labels(channel=channel, location_id=str(location_id)).inc(n)


def replayed(n: int = 1) -> None:
    """``n`` responses answered as replays (already stored with the same body)."""
    if n > 0:
        REPLAYED.inc(n)


def conflict() -> None:
    """An ingest request answered 409 (an id already stored with another body)."""
    CONFLICTS.inc()


def rejected(reason: str) -> None:
    """An ingest request refused; ``reason`` is a short fixed word (``invalid``, ``unauthorized``,
    ``too_large``, ``honeypot``, ...), never text from the request."""
    REJECTED.labels(reason=reason).inc()


def ingest_latency(endpoint: str, seconds: float) -> None:
    INGEST_SECONDS.labels(endpoint=endpoint).observe(seconds)


def page_latency(endpoint: str, seconds: float) -> None:
    PAGE_SECONDS.labels(endpoint=endpoint).observe(seconds)


def alert_sent(kind: str, ok: bool = True) -> None:
    """An alert's e-mail went out (``ok``) or the SMTP server refused it."""
    (ALERTS_SENT if ok else ALERT_SEND_FAILURES).labels(kind=kind).inc()


def job_ran(job: str, ok: bool, seconds: float) -> None:
    """A scheduled job ``job`` (a short fixed name, e.g. ``alerts``) ran for ``seconds`` and
    succeeded (``ok``) or failed. The scheduler calls this once per run, failures included, so
    ``feedback_job_runs_total{outcome="failed"}`` rising is the signal to alert on."""
    JOB_RUNS.labels(job=job, outcome="ok" if ok else "failed").inc()
    JOB_SECONDS.labels(job=job).observe(seconds)
