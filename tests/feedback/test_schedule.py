"""Scheduled jobs (feedback/services/schedule.py): each job runs once per period however many
schedulers tick, a failing job is recorded as failed and the others go on, and the status the
admin page shows. Runs on SQLite and, with DATABASE_URL, on PostgreSQL (where the claims race)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from feedback.models import JobRun
from feedback.scheduler import Scheduler
from feedback.services import schedule
from feedback.services.schedule import Job

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Counting:
    """A job function that counts its calls (from any thread) and answers ``result``."""

    def __init__(self, result: str = "done"):
        self.calls: list[datetime] = []
        self.lock = threading.Lock()
        self.result = result

    def __call__(self, session, now):
        with self.lock:
            self.calls.append(now)
        return self.result


def boom(session, now):
    raise RuntimeError("the rollup table is gone")


def runs(session, job: str | None = None) -> list[JobRun]:
    session.rollback()
    query = select(JobRun).order_by(JobRun.id)
    return list(session.scalars(query.where(JobRun.job == job) if job else query))


def test_periods_are_aligned_on_the_epoch():
    assert schedule.period_start(datetime(2026, 11, 30, 12, 0, 59, 999, tzinfo=UTC), 60) == NOON
    assert schedule.period_start(datetime(2026, 11, 30, 12, 7, tzinfo=UTC), 300) == datetime(
        2026, 11, 30, 12, 5, tzinfo=UTC
    )
    assert schedule.period_start(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), 86400) == datetime(
        2026, 11, 30, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="at least 1 second"):
        Job("broken", 0, Counting())


def test_a_job_runs_once_per_period_and_again_in_the_next(session):
    work = Counting("3 alerts raised")
    jobs = [Job("alerts", 60, work)]
    first = schedule.run_due(session, jobs, NOON + timedelta(seconds=1), "node-a")
    again = schedule.run_due(session, jobs, NOON + timedelta(seconds=30), "node-a")
    other_node = schedule.run_due(session, jobs, NOON + timedelta(seconds=59), "node-b")
    next_period = schedule.run_due(session, jobs, NOON + timedelta(seconds=61), "node-b")
    assert [len(first), len(again), len(other_node), len(next_period)] == [1, 0, 0, 1]
    assert work.calls == [NOON + timedelta(seconds=1), NOON + timedelta(seconds=61)]
    stored = runs(session)
    assert [(r.job, r.period_start, r.node, r.ok, r.result) for r in stored] == [
        ("alerts", NOON, "node-a", True, "3 alerts raised"),
        ("alerts", NOON + timedelta(minutes=1), "node-b", True, "3 alerts raised"),
    ]
    assert stored[0].started_at == NOON + timedelta(seconds=1)
    assert stored[0].finished_at >= stored[0].started_at and stored[0].duration_ms >= 0


def test_two_schedulers_ticking_the_same_period_run_the_job_once(app, session, monkeypatch):
    """Two nodes (threads, each with its own app context and database session) are held at a
    barrier until both are about to claim; then both insert the same period's row."""
    work = Counting()
    jobs = [Job("alerts", 60, work), Job("digest", 3600, Counting())]
    barrier = threading.Barrier(2, timeout=20)
    claim = schedule.claim

    def claim_together(session, job, now, node):
        if job.name == "alerts":
            barrier.wait()
        return claim(session, job, now, node)

    monkeypatch.setattr(schedule, "claim", claim_together)
    app.config["CLOCK"] = lambda: NOON + timedelta(seconds=5)
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def node(name: str) -> None:
        try:
            results[name] = Scheduler(app, jobs=jobs, node=name).tick()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
            barrier.abort()

    try:
        threads = [threading.Thread(target=node, args=(name,)) for name in ("node-a", "node-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        app.config["CLOCK"] = None
    assert errors == []
    assert len(work.calls) == 1
    ran = sorted((o.job, name) for name, outcomes in results.items() for o in outcomes)
    assert [job for job, _node in ran] == ["alerts", "digest"]  # each job by one node or the other
    [alerts_run] = runs(session, "alerts")
    assert (alerts_run.node, alerts_run.ok, alerts_run.period_start) == (ran[0][1], True, NOON)
    assert len(runs(session, "digest")) == 1


def test_a_failing_job_is_recorded_as_failed_and_the_others_still_run(session):
    after = Counting("fine")
    jobs = [Job("broken", 60, boom), Job("after", 60, after)]
    outcomes = schedule.run_due(session, jobs, NOON, "node-a")
    assert [(o.job, o.ok) for o in outcomes] == [("broken", False), ("after", True)]
    [failed] = runs(session, "broken")
    assert failed.ok is False and failed.finished_at is not None
    assert failed.result == "RuntimeError: the rollup table is gone"
    assert len(after.calls) == 1
    # The next period tries again.
    assert [o.ok for o in schedule.run_due(session, jobs, NOON + timedelta(minutes=1), "node-a")] == [False, True]


def test_a_failed_job_rolls_its_own_writes_back(session, build):
    office = build.office(name="Rolled back")

    def half_done(session, now):
        office.name = "Half renamed"
        session.flush()
        raise ValueError("stopped half way")

    [outcome] = schedule.run_due(session, [Job("half", 60, half_done)], NOON, "node-a")
    assert not outcome.ok
    session.expire_all()
    assert office.name == "Rolled back"
    assert runs(session, "half")[0].result == "ValueError: stopped half way"


def test_the_loop_goes_on_after_a_failed_tick(app, monkeypatch):
    """The database is down for one tick: logged, and the next tick runs the jobs."""
    work = Counting()
    stop = threading.Event()
    real = schedule.run_due
    calls = []

    def flaky(session, jobs, now, node):
        calls.append(now)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        stop.set()
        return real(session, jobs, now, node)

    monkeypatch.setattr("feedback.scheduler.run_due", flaky)
    loop = Scheduler(app, jobs=[Job("alerts", 60, work)], tick_seconds=0.01)
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(calls) == 2 and len(work.calls) == 1


def test_status_says_each_jobs_last_run_and_next_due(session):
    jobs = [Job("ok", 60, Counting("all good")), Job("broken", 300, boom), Job("new", 3600, Counting())]
    schedule.run_due(session, jobs[:2], NOON, "node-a")
    later = NOON + timedelta(seconds=90)
    rows = {row.job.name: row for row in schedule.status(session, jobs, later)}
    assert (rows["ok"].state, rows["ok"].last.result) == ("ok", "all good")
    assert rows["ok"].next_due == NOON + timedelta(minutes=1)  # the current period: at the next tick
    assert (rows["broken"].state, rows["broken"].next_due) == ("failed", NOON + timedelta(minutes=5))
    assert (rows["new"].state, rows["new"].last, rows["new"].next_due) == ("never", None, NOON)
    assert not any(row.overdue for row in rows.values())

    # No scheduler ran "ok" for a whole period (12:01-12:02): overdue, due now.
    stopped = schedule.status(session, jobs, NOON + timedelta(minutes=2, seconds=1))[0]
    assert (stopped.overdue, stopped.next_due) == (True, NOON + timedelta(minutes=2))

    # A claimed run not finished: running, and after an hour interrupted (its node died).
    schedule.claim(session, jobs[2], later, "node-b")
    assert schedule.status(session, jobs, later + timedelta(minutes=5))[2].state == "running"
    assert schedule.status(session, jobs, later + timedelta(hours=2))[2].state == "interrupted"


def test_prune_keeps_recent_runs_and_each_jobs_newest(session):
    jobs = [Job("minutely", 60, Counting()), Job("weekly", 7 * 86400, Counting())]
    schedule.run_due(session, jobs, NOON - timedelta(days=30), "node-a")
    schedule.run_due(session, jobs[:1], NOON - timedelta(days=20), "node-a")
    schedule.run_due(session, jobs[:1], NOON - timedelta(days=1), "node-a")
    assert schedule.prune(session, NOON, keep_days=14) == 2  # minutely's two old runs
    assert [(r.job, r.started_at) for r in runs(session)] == [
        ("weekly", NOON - timedelta(days=30)),  # old, but its job's newest
        ("minutely", NOON - timedelta(days=1)),
    ]
