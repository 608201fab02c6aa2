"""Metrics under several processes (PROMETHEUS_MULTIPROC_DIR): what each process counted is added
up by a scrape in any of them, gunicorn.conf.py empties the folder at start and marks dead workers;
a real gunicorn with two workers answers the same totals whichever worker takes the scrape."""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.dbfaults import free_port
from tests.helpers.scrape import METRICS_TOKEN

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")

COUNT = """
from feedback import metrics
for _ in range({n}):
    metrics.rejected("invalid")
metrics.replayed({n})
metrics.job_ran("nightly", ok={ok}, seconds=1.5)
"""
SCRAPE = """
import json
from feedback.app import create_app
from feedback.extensions import db
app = create_app({"TESTING": True})
with app.app_context():
    db.create_all()
resp = app.test_client().get("/metrics", headers={"Authorization": "Bearer %s"})
print(json.dumps({"status": resp.status_code, "body": resp.get_data(as_text=True)}))
"""


def _env(tmp_path: Path, folder: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "METRICS_TOKEN": METRICS_TOKEN,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SECRET_KEY": "test-secret-key",
        "FEEDBACK_ENV": "development",
    }
    return env


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_scrape_adds_up_what_every_process_counted(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = _env(tmp_path, folder)
    _python(COUNT.format(n=2, ok=True), env)
    _python(COUNT.format(n=3, ok=False), env)
    answer = json.loads(_python(SCRAPE % METRICS_TOKEN, env).strip().splitlines()[-1])
    assert answer["status"] == 200
    samples = _samples(answer["body"])
    assert samples[("feedback_ingest_rejected_total", frozenset({("reason", "invalid")}))] == 5
    assert samples[("feedback_responses_replayed_total", frozenset())] == 5
    assert samples[("feedback_job_runs_total", frozenset({("job", "nightly"), ("outcome", "ok")}))] == 1
    assert samples[("feedback_job_runs_total", frozenset({("job", "nightly"), ("outcome", "failed")}))] == 1
    assert samples[("feedback_job_duration_seconds_sum", frozenset({("job", "nightly")}))] == 3.0
    assert samples[("feedback_metrics_database_up", frozenset())] == 1
    # The folder's totals, not one process's own registry (which would carry its gc counts).
    assert not [name for name, _labels in samples if name.startswith("python_gc_")]


def test_gunicorn_empties_the_folder_at_start_and_marks_dead_workers(tmp_path, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    hooks = runpy.run_path(str(CONF))
    for name in ("counter_11.db", "histogram_12.db", "notes.txt"):
        (folder / name).write_text("")
    hooks["on_starting"](None)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]

    for name in ("counter_4242.db", "gauge_livesum_4242.db", "gauge_livesum_4343.db"):
        (folder / name).write_text("")
    hooks["child_exit"](None, SimpleNamespace(pid=4242))
    # The dead worker's live gauges go; its counters stay in the totals.
    assert sorted(p.name for p in folder.iterdir()) == ["counter_4242.db", "gauge_livesum_4343.db", "notes.txt"]


def test_without_the_folder_the_hooks_do_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    hooks = runpy.run_path(str(CONF))
    hooks["on_starting"](None)
    hooks["child_exit"](None, SimpleNamespace(pid=1))


def _request(url: str, *, data: bytes | None = None, headers=None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_two_gunicorn_workers_answer_the_same_totals(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_1.db").write_text("")  # left over from a previous run: emptied at start
    port = free_port()
    env = {
        **_env(tmp_path, folder),
        "HOME": str(tmp_path),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": "",
    }
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    flask = Path(sys.executable).with_name("flask")
    subprocess.run([str(flask), "--app", "feedback.app", "db", "upgrade"], cwd=ROOT, env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [str(GUNICORN), "-c", str(CONF), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(f"{base}/livez")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        tap = {"Authorization": "Bearer no-such-kiosk", "Content-Type": "application/json"}
        for _ in range(12):
            assert _request(f"{base}/api/v1/responses", data=b"{}", headers=tap)[0] == 401
        auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        for _ in range(6):  # whichever worker answers, the same total
            status, body = _request(f"{base}/metrics", headers=auth)
            assert status == 200
            samples = _samples(body.decode())
            assert samples[("feedback_ingest_rejected_total", frozenset({("reason", "unauthorized")}))] == 12
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_gunicorn_leaves_the_request_log_to_the_app_unless_asked(monkeypatch):
    """gunicorn's access line holds the raw path and query string (an enrolment code, a token)."""
    monkeypatch.delenv("GUNICORN_ACCESSLOG", raising=False)
    assert runpy.run_path(str(CONF))["accesslog"] is None
    monkeypatch.setenv("GUNICORN_ACCESSLOG", "-")
    assert runpy.run_path(str(CONF))["accesslog"] == "-"


def test_a_missing_folder_stops_the_start(tmp_path, monkeypatch):
    from feedback.app import create_app

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "not-made"))
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
