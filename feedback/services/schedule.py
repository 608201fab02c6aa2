"""Scheduled jobs that run by themselves: each job once per period, however many nodes run the
scheduler (``flask scheduler``; the loop is ``feedback/scheduler.py``).

Periods are aligned on the epoch (a 60 s job's periods start at each whole minute, UTC). On each
tick a node tries to claim the current period of every job by inserting its ``job_runs`` row
(``INSERT ... ON CONFLICT DO NOTHING`` on the unique ``(job, period_start)``); the node whose row
got in runs the job and records its end, duration and result (or the error), the others skip it.
A node that dies mid-run leaves its row unfinished; the next period runs again as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from feedback.database import DbSession, insert_for, rowcount, write_transaction
from feedback.models import JobRun

log = logging.getLogger(__name__)

RESULT_MAX = 500  # JobRun.result's length
# A run not finished this long after its start is shown as interrupted (its node died or hung).
STALE_AFTER = timedelta(hours=1)

JobFunction = Callable[[DbSession, datetime], str]


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name, how often it runs, and ``run(session, now)`` returning a short
    summary for the status page. The function owns its transactions, like any service."""

    name: str
    period: int  # seconds
    run: JobFunction

    def __post_init__(self) -> None:
        if self.period < 1:
            raise ValueError(f"The period of job {self.name!r} must be at least 1 second, got {self.period}")


@dataclass(frozen=True)
class Outcome:
    """What a tick did with one job it claimed."""

    job: str
    ok: bool
    result: str
    seconds: float = 0.0


def period_start(now: datetime, period: int) -> datetime:
    """The start of the period of ``period`` seconds that ``now`` falls in (aligned on the epoch)."""
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % period, UTC)


def claim(session: DbSession, job: Job, now: datetime, node: str) -> int | None:
    """Claim the current period of ``job`` for ``node``: the new run's id, or None when another
    node (or an earlier tick) already has it. Committed at once, so the others see the claim."""
    with write_transaction(session):
        stmt = (
            insert_for(session.get_bind().dialect.name, JobRun)
            .values(job=job.name, period_start=period_start(now, job.period), node=node[:128], started_at=now)
            .on_conflict_do_nothing(index_elements=["job", "period_start"])
            .returning(JobRun.id)
        )
        return session.scalar(stmt)


def _finish(session: DbSession, run_id: int, now: datetime, elapsed: float, ok: bool, result: str) -> None:
    with write_transaction(session):
        run = session.get_one(JobRun, run_id)
        run.finished_at = now + timedelta(seconds=elapsed)
        run.duration_ms = round(elapsed * 1000)
        run.ok = ok
        run.result = result[:RESULT_MAX]


def run_claimed(session: DbSession, job: Job, run_id: int, now: datetime) -> Outcome:
    """Run ``job`` for the claimed run ``run_id`` and record how it went. A job that raises is
    recorded as failed (its transaction rolled back); the error does not leave this function."""
    started = time.perf_counter()
    try:
        result, ok = job.run(session, now), True
    except Exception as exc:  # any failure of a job is recorded, and the loop goes on
        session.rollback()
        log.exception("Scheduled job %s failed", job.name)
        result, ok = f"{type(exc).__name__}: {exc}", False
    elapsed = time.perf_counter() - started
    _finish(session, run_id, now, elapsed, ok, result)
    return Outcome(job.name, ok, result, elapsed)


def run_due(session: DbSession, jobs: Iterable[Job], now: datetime, node: str) -> list[Outcome]:
    """One tick: claim and run every job whose current period no node has claimed yet."""
    outcomes = []
    for job in jobs:
        run_id = claim(session, job, now, node)
        if run_id is not None:
            outcomes.append(run_claimed(session, job, run_id, now))
    return outcomes


@dataclass(frozen=True)
class JobStatus:
    """A row of the status page: the job, its last run (None if never run) and when it is next due."""

    job: Job
    last: JobRun | None
    state: str  # never | running | interrupted | ok | failed
    next_due: datetime
    overdue: bool  # a whole period went by with no run: no scheduler is running (or none gets through)


def status(session: DbSession, jobs: Iterable[Job], now: datetime) -> list[JobStatus]:
    """Each job's last run and state, and the start of its next period not yet run."""
    rows = []
    for job in jobs:
        last = session.scalar(
            select(JobRun).where(JobRun.job == job.name).order_by(JobRun.period_start.desc()).limit(1)
        )
        if last is None:
            rows.append(JobStatus(job, None, "never", period_start(now, job.period), False))
            continue
        if last.finished_at is None:
            state = "interrupted" if last.started_at + STALE_AFTER < now else "running"
        else:
            state = "ok" if last.ok else "failed"
        following = last.period_start + timedelta(seconds=job.period)
        overdue = following + timedelta(seconds=job.period) <= now
        rows.append(JobStatus(job, last, state, max(following, period_start(now, job.period)), overdue))
    return rows


def prune(session: DbSession, now: datetime, keep_days: int) -> int:
    """Delete the runs older than ``keep_days``, keeping each job's newest (the status page's);
    returns how many went. One row a job and minute adds up to half a million a year."""
    newest = select(func.max(JobRun.id)).group_by(JobRun.job).scalar_subquery()
    with write_transaction(session):
        result = session.execute(
            delete(JobRun).where(JobRun.started_at < now - timedelta(days=keep_days), JobRun.id.not_in(newest))
        )
    return rowcount(result)
