"""The scheduler process (``flask scheduler``; ``make run`` starts it beside gunicorn): the
registry of scheduled jobs and the loop that ticks them.

Every tick (``SCHEDULER_TICK_SECONDS``) the loop claims and runs each job whose current period
no node has run yet (``feedback/services/schedule.py``), so any number of nodes may run it.
Adding a job is one line in :func:`registered_jobs`: a name, a period (a setting in
``feedback/config.py``) and a function ``(session, now) -> summary``.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask

from feedback import clock, metrics
from feedback.database import DbSession
from feedback.extensions import db
from feedback.services import alerts, digests, fold, mailer
from feedback.services.retention import retention_job
from feedback.services.schedule import Job, Outcome, prune, run_due

log = logging.getLogger(__name__)


def alerts_job(session: DbSession, now: datetime, *, config: Mapping[str, Any]) -> str:
    """What ``flask alerts run`` does: every enabled rule (burst, below target, silent kiosks),
    then the e-mail of pending alerts when SMTP_URL is set."""
    mail = mailer.Mailer.from_config(config)  # a bad SMTP_URL fails the run, shown on the status page
    raised = alerts.run_periodic(session, now, email=mail is not None)
    summary = f"{len(raised)} alert{'s' if len(raised) != 1 else ''} raised"
    if mail is None:
        return f"{summary}; e-mail off"
    retried, released = mailer.requeue(session, now)
    report = mailer.deliver(session, mail, now)
    return (
        f"{summary}; e-mail: {report.sent} sent, {report.failed} failed, {report.skipped} skipped "
        f"({retried} retried, {released} released)"
    )


def digests_job(session: DbSession, now: datetime, *, config: Mapping[str, Any]) -> str:
    """Send the e-mail digests that are due (services/digests.py), each claimed once per user
    and period across nodes; nothing while SMTP_URL is unset."""
    from feedback import digest_mail  # templates and Babel: only this job needs them

    mail = mailer.Mailer.from_config(config)
    if mail is None:
        return "e-mail off"
    schedule = digests.Schedule.from_config(config["DIGEST_WEEKDAY"], config["DIGEST_HOUR"])
    report = digests.send_due(
        session,
        now,
        lambda digest, language: digest_mail.compose(digest, language, mail, now),
        mail.send,
        schedule,
        node_name(),
    )
    return str(report)


def fold_job(session: DbSession, now: datetime) -> str:
    """Fold what taps left pending (services/fold.py) when no process's folding thread did: one
    that died between a tap's answer and its fold. Usually nothing."""
    return f"{fold.fold(session)} pending responses folded"


def prune_job(session: DbSession, now: datetime, *, keep_days: int) -> str:
    """Forget old runs of the scheduled jobs (each job's newest stays)."""
    return f"{prune(session, now, keep_days)} old runs deleted"


def registered_jobs(config: Mapping[str, Any]) -> list[Job]:
    """The scheduled jobs, in the order a tick runs them."""
    return [
        Job("rollups-fold", config["SCHEDULE_FOLD_SECONDS"], fold_job),
        Job("alerts", config["SCHEDULE_ALERTS_SECONDS"], functools.partial(alerts_job, config=config)),
        Job("digests", config["SCHEDULE_DIGESTS_SECONDS"], functools.partial(digests_job, config=config)),
        Job("retention", config["SCHEDULE_RETENTION_SECONDS"], functools.partial(retention_job, config=config)),
        Job(
            "job-runs-prune",
            config["SCHEDULE_PRUNE_SECONDS"],
            functools.partial(prune_job, keep_days=config["SCHEDULER_KEEP_DAYS"]),
        ),
    ]


def node_name() -> str:
    """Who ran a job, for the status page: the host and the process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """The loop of one node. ``tick()`` runs what is due once; ``run(stop)`` ticks until ``stop``
    is set. A tick that fails (the database is down) is logged and tried again at the next one."""

    def __init__(
        self, app: Flask, *, jobs: list[Job] | None = None, tick_seconds: float | None = None, node: str | None = None
    ):
        self.app = app
        self.jobs = registered_jobs(app.config) if jobs is None else jobs
        self.tick_seconds = app.config["SCHEDULER_TICK_SECONDS"] if tick_seconds is None else tick_seconds
        self.node = node or node_name()

    def tick(self) -> list[Outcome]:
        with self.app.app_context():
            try:
                outcomes = run_due(db.session, self.jobs, clock.now(), self.node)
            finally:
                db.session.remove()
        for outcome in outcomes:
            metrics.job_ran(outcome.job, outcome.ok, outcome.seconds)
            level = logging.INFO if outcome.ok else logging.ERROR
            log.log(level, "Job %s %s: %s", outcome.job, "done" if outcome.ok else "failed", outcome.result)
        return outcomes

    def run(self, stop: threading.Event) -> None:
        log.info(
            "Scheduler %s started: %s (tick %g s)",
            self.node,
            ", ".join(f"{job.name} every {job.period} s" for job in self.jobs),
            self.tick_seconds,
        )
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the database may be down: the next tick tries again
                log.exception("Scheduler tick failed; trying again in %g s", self.tick_seconds)
            stop.wait(self.tick_seconds)
        log.info("Scheduler %s stopped", self.node)
