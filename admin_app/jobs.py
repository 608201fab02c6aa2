"""The scheduled jobs' status page (admins only): each job's period, last run, duration, result
and when it is next due, from the runs the scheduler records (``feedback/services/schedule.py``)."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from admin_app.pages import admin_bp
from admin_app.view_helpers import admin_required
from feedback import clock
from feedback.extensions import db
from feedback.scheduler import registered_jobs
from feedback.services import schedule


def seconds_text(seconds: float) -> str:
    """A period or a duration, in the largest whole unit that fits: "500 ms", "1.5 s", "5 min", "24 h"."""
    if seconds < 1:
        return _("%(n)s ms", n=round(seconds * 1000))
    if seconds % 3600 == 0:
        return _("%(n)s h", n=int(seconds // 3600))
    if seconds % 60 == 0:
        return _("%(n)s min", n=int(seconds // 60))
    return _("%(n)s s", n=f"{seconds:.1f}" if seconds < 10 else round(seconds))


@admin_bp.get("/jobs", endpoint="jobs")
@login_required
@admin_required
def job_status() -> ResponseReturnValue:
    now = clock.now()
    rows = schedule.status(db.session, registered_jobs(current_app.config), now)
    db.session.commit()  # end the read
    return render_template("admin/manage/jobs.html", rows=rows, now=now, seconds_text=seconds_text)
