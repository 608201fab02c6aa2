"""Service standards by fiscal quarter: /admin/standards?quarter=FY2027Q1.

For every location in the user's scope (and per office, summed): responses, CSAT with its 95 %
Wilson interval, the target and a met / not met / too few to tell verdict, and responses per
week against the weekly target. The figures are :mod:`feedback.services.standards` (rollups
only); this view parses the quarter, scopes and renders. GET only: nothing changes here.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from admin_app import charts
from admin_app.pages import admin_bp
from feedback import clock
from feedback.extensions import db
from feedback.services import standards as service
from feedback.services.fiscal import FiscalQuarter
from feedback.services.locations import scoped_locations

RECENT = 8  # quarters offered by the picker: this one and the seven before
VERDICT_LABELS = {
    "met": _l("Met"),
    "not_met": _l("Not met"),
    "too_few": _l("Too few to tell"),
    "no_target": _l("No target"),
    "no_data": _l("No responses"),
}
WEEKLY_LABELS = {
    "met": _l("Met"),
    "not_met": _l("Not met"),
    "no_target": _l("No target"),
    "no_data": _l("Not started"),
}


def _quarter(default: FiscalQuarter) -> FiscalQuarter:
    raw = request.args.get("quarter")
    if not raw:
        return default
    try:
        return FiscalQuarter.parse(raw)  # also refuses fiscal years outside 1900-2999
    except ValueError:
        abort(400, description="Invalid quarter: a fiscal quarter like FY2027Q1.")


@admin_bp.get("/standards")
@login_required
def standards():
    locations = scoped_locations(db.session, current_user)
    now = clock.now()
    offices = {loc.office_id: loc.office for loc in locations}.values()
    current = service.current_quarter(offices, now)
    quarter = _quarter(current)
    choices = service.recent_quarters(current, RECENT)
    if quarter not in choices:
        choices = sorted({*choices, quarter}, reverse=True)
    rows = service.report(db.session, locations, [quarter], now=now)
    return render_template(
        "admin/standards/quarter.html",
        quarter=quarter,
        current=current,
        choices=choices,
        rows=rows,
        fmt=charts.formatter(),
        weekly=lambda value: format_decimal(value, "#,##0.0"),
        verdicts=VERDICT_LABELS,
        weekly_verdicts=WEEKLY_LABELS,
        quarter_url=lambda q: url_for("admin.standards", quarter=str(q)),
        location_url=lambda loc: url_for("admin.location_detail", code=loc.code, **_dates(loc, quarter, now)),
    )


def _dates(location, quarter: FiscalQuarter, now) -> dict:
    """The quarter's dates up to the office's today, for the location page's filter."""
    end = min(quarter.end, max(quarter.start, service.local_today(location.office, now)))
    return {"from": quarter.start.isoformat(), "to": end.isoformat()}
