"""The scheduled jobs' status page (/admin/jobs): admins see each job's period, last run, duration,
result and next due; managers get 403, and the menu offers it to admins only."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from feedback.models import JobRun
from feedback.scheduler import registered_jobs
from feedback.services import schedule
from feedback.services.schedule import Job
from tests.admin.conftest import sign_in

ADMIN, MANAGER = "admin@example.gov", "manager@example.gov"


@pytest.fixture
def people(build, make_user):
    location = build.location(code="JOB-1")
    make_user(ADMIN, "admin")
    make_user(MANAGER, "manager", [location])


def rows(body: str) -> dict[str, str]:
    """The table's rows as text, by job name."""
    found = {}
    for row in re.findall(r"<tr class=\"job-[a-z]+\">(.*?)</tr>", body, re.S):
        name = re.search(r"<code>([^<]+)</code>", row).group(1)
        found[name] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return found


def test_admins_see_each_jobs_last_run_result_and_next_due(app, client, session, people):
    now = datetime.now(UTC)
    schedule.run_due(session, [Job("alerts", 60, lambda s, n: "2 alerts raised; e-mail off")], now, "web-1:4242")

    def broken(session, now):
        raise RuntimeError("SMTP refused")

    schedule.run_due(session, [Job("job-runs-prune", 86400, broken)], now, "web-2:7")
    assert sign_in(client, ADMIN).status_code == 302
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'href="/admin/jobs" class="current" aria-current="page">Scheduled jobs</a>' in body
    listed = rows(body)
    assert set(listed) == {job.name for job in registered_jobs(app.config)}
    alerts_run = session.query(JobRun).filter_by(job="alerts").one()
    assert f"{alerts_run.started_at:%Y-%m-%d %H:%M} UTC" in listed["alerts"]
    assert "1 min" in listed["alerts"] and "on web-1:4242" in listed["alerts"]
    assert "OK 2 alerts raised; e-mail off" in listed["alerts"]
    assert re.search(r"\d+ ms", listed["alerts"])  # the duration
    next_minute = schedule.period_start(now, 60) + timedelta(minutes=1)
    assert f"{next_minute:%Y-%m-%d %H:%M} UTC" in listed["alerts"]
    assert "24 h" in listed["job-runs-prune"]
    assert "Failed RuntimeError: SMTP refused" in listed["job-runs-prune"]


def test_a_job_never_run_says_so(client, people):
    assert sign_in(client, ADMIN).status_code == 302
    listed = rows(client.get("/admin/jobs").get_data(as_text=True))
    assert "never" in listed["alerts"] and "Not run yet" in listed["alerts"]
    assert "now (at the next tick)" in listed["alerts"]


def test_managers_get_403_and_no_menu_entry(new_client, people):
    manager = new_client()
    assert sign_in(manager, MANAGER).status_code == 302
    assert manager.get("/admin/jobs").status_code == 403
    assert 'href="/admin/jobs"' not in manager.get("/admin/").get_data(as_text=True)
    anonymous = new_client().get("/admin/jobs")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/admin/login")


def test_a_job_no_scheduler_ran_for_a_whole_period_is_flagged(client, session, people):
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    schedule.run_due(session, [Job("alerts", 60, lambda s, n: "0 alerts raised; e-mail off")], long_ago, "web-1:1")
    assert sign_in(client, ADMIN).status_code == 302
    listed = rows(client.get("/admin/jobs").get_data(as_text=True))
    assert f"Overdue: no run since {long_ago:%Y-%m-%d %H:%M} UTC. Is a scheduler running?" in listed["alerts"]
    assert "Overdue" not in listed["job-runs-prune"]  # never run: not yet due
