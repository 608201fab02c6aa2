"""Runs of the scheduled jobs (``flask scheduler``), one row per job and period.

Every node may run the scheduler; the unique ``(job, period_start)`` pair is the claim: the
node whose insert got in runs the job for that period, the others' inserts are dropped
(``feedback/services/schedule.py``). The row then records how the run went, for the admin
site's "Scheduled jobs" page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime


class JobRun(Model):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period_start", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)  # the period this run claimed
    node: Mapped[str] = mapped_column(String(128))  # host:pid of the scheduler that ran it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: running, or the node died
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[str | None] = mapped_column(String(500))  # the job's summary, or the error
