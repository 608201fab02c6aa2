"""The scheduler process: ``flask scheduler``, its registered jobs (the alerts job raises what
``flask alerts run`` raises), its settings, and ``make run`` starting it beside gunicorn."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

from honcho.environ import parse_procfile
from sqlalchemy import select

from feedback.config import load_config
from feedback.models import Alert, JobRun
from feedback.scheduler import registered_jobs
from feedback.services import demo
from tests.builders import auth, response_body

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_starts_gunicorn_and_the_scheduler_with_one_command():
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    assert list(processes) == ["web", "scheduler"]  # web first: honcho gives the first process PORT itself
    web, scheduler = (shlex.split(processes[name]) for name in ("web", "scheduler"))
    assert web[:3] == ["gunicorn", "-c", "gunicorn.conf.py"] and web[-1] == "wsgi:app"
    assert scheduler == ["flask", "--app", "feedback.app", "scheduler"]
    makefile = (ROOT / "Makefile").read_text()
    run_target = re.search(r"^run: .*?\n((?:\t.*\n)+)", makefile, re.M)
    assert run_target, "no run target"
    recipe = run_target.group(1)
    assert "honcho start -f Procfile" in recipe.splitlines()[-1]  # the last command: it serves until Ctrl-C
    assert "gunicorn" not in recipe  # only through the Procfile


def test_the_alerts_job_raises_the_demos_below_target_alerts_once(app, runner, session):
    now = datetime.now(UTC)
    demo.load(session, now=now, weeks=1)
    assert session.scalars(select(Alert)).all() == []
    first = runner.invoke(args=["scheduler", "--once"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    session.rollback()
    raised = session.scalars(select(Alert)).all()
    # The demo's weak counters; silence too when the run falls in a demo office's opening hours.
    assert "below_target" in {alert.kind for alert in raised}
    assert f"alerts: ok: {len(raised)} alert{'s' if len(raised) > 1 else ''} raised; e-mail off" in first.output
    assert "job-runs-prune: ok: 0 old runs deleted" in first.output
    assert "rollups-fold: ok: 0 pending responses folded" in first.output  # the demo counts its own rows
    assert "retention: ok:" in first.output
    assert "digests: ok: e-mail off" in first.output
    again = runner.invoke(args=["scheduler", "--once"], catch_exceptions=False)
    assert "Nothing due" in again.output
    session.rollback()
    ran = [run.job for run in session.scalars(select(JobRun).order_by(JobRun.id))]
    assert ran == ["rollups-fold", "alerts", "digests", "retention", "job-runs-prune"]


def test_a_bad_smtp_url_fails_the_alerts_job_visibly(app, runner, session, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "ftp://mail.example.gov")
    result = runner.invoke(args=["scheduler", "--once"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "alerts: failed: ValueError:" in result.output
    assert "job-runs-prune: ok" in result.output  # the next job still ran


def test_scheduler_settings_come_from_the_environment(monkeypatch):
    defaults = load_config()
    assert (defaults["SCHEDULER_TICK_SECONDS"], defaults["SCHEDULE_ALERTS_SECONDS"]) == (5, 60)
    monkeypatch.setenv("SCHEDULER_TICK_SECONDS", "0.5")
    monkeypatch.setenv("SCHEDULE_ALERTS_SECONDS", "120")
    monkeypatch.setenv("SCHEDULE_PRUNE_SECONDS", "3600")
    monkeypatch.setenv("SCHEDULE_FOLD_SECONDS", "10")
    monkeypatch.setenv("SCHEDULE_RETENTION_SECONDS", "7200")
    monkeypatch.setenv("SCHEDULE_DIGESTS_SECONDS", "1800")
    monkeypatch.setenv("DIGEST_WEEKDAY", "fri")
    monkeypatch.setenv("DIGEST_HOUR", "16")
    config = load_config()
    assert (config["DIGEST_WEEKDAY"], config["DIGEST_HOUR"]) == ("fri", 16)
    assert config["SCHEDULER_TICK_SECONDS"] == 0.5
    assert {job.name: job.period for job in registered_jobs(config)} == {
        "rollups-fold": 10,
        "alerts": 120,
        "digests": 1800,
        "retention": 7200,
        "job-runs-prune": 3600,
    }


def test_the_fold_job_counts_what_a_dead_process_left_pending(app, runner, session, build, client, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")  # as if the folding thread had died
    _device, token = build.device()
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    result = runner.invoke(args=["scheduler", "--once"], catch_exceptions=False)
    assert "rollups-fold: ok: 1 pending responses folded" in result.output


def test_each_job_run_is_counted_in_the_metrics(app, runner):
    from prometheus_client import REGISTRY

    def runs(job: str) -> float:
        return REGISTRY.get_sample_value("feedback_job_runs_total", {"job": job, "outcome": "ok"}) or 0.0

    before = runs("rollups-fold")
    assert runner.invoke(args=["scheduler", "--once"], catch_exceptions=False).exit_code == 0
    assert runs("rollups-fold") == before + 1
