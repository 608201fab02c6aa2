"""Alerts in the admin site: the list, one alert with its figures and the acknowledge form, and
the alert rules of each location.

Signed-in only; a manager sees the alerts and rules of their own locations, anything else answers
404 like an unknown id. Acknowledging and rule changes are audited by the service
(``feedback.services.alert_rules``, ``alert_log``).
"""

from __future__ import annotations

from typing import ClassVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length

from admin_app.filters import older_than
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, save, scoped_location, status
from feedback import clock
from feedback.extensions import db
from feedback.models import Alert
from feedback.models.alerts import ALERT_KINDS
from feedback.services import alert_log
from feedback.services import alert_rules as rule_settings
from feedback.services.errors import NotFound
from feedback.services.targets import percent_from_target

KIND_LABELS = {
    "burst": _l("Burst of negative ratings"),
    "below_target": _l("Score below target"),
    "silence": _l("Silence"),
}
STATE_LABELS = {"open": _l("Open"), "acknowledged": _l("Acknowledged"), "all": _l("All")}
RECIPIENTS_HINT = _l(
    "Extra e-mail addresses, one a line. The location's managers always get the alerts "
    "(the admins when the location has no manager)."
)


class AcknowledgeForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[Length(max=alert_log.COMMENT_MAX)],
        description=_l("What was found or done, for the record (optional)."),
    )


class RulesForm(FlaskForm):
    """A location's three rules; field names are ``<kind>_<parameter>`` as in the service's errors."""

    burst_enabled = BooleanField(_l("Alert on a burst of negative ratings"))
    burst_negatives = IntegerField(_l("Negative ratings"), validators=[InputRequired()])
    burst_of_last = IntegerField(_l("Among the last (ratings)"), validators=[InputRequired()])
    burst_within_minutes = IntegerField(_l("Within (minutes)"), validators=[InputRequired()])
    burst_recipients = TextAreaField(_l("Extra recipients"), description=RECIPIENTS_HINT)
    below_target_enabled = BooleanField(_l("Alert when the score is below target"))
    below_target_window_days = IntegerField(
        _l("Over the last (days)"),
        validators=[InputRequired()],
        description=_l(
            "Only when even the upper bound of the 95 % confidence interval is below the target, "
            "so a handful of responses does not raise it."
        ),
    )
    below_target_recipients = TextAreaField(_l("Extra recipients"), description=RECIPIENTS_HINT)
    silence_enabled = BooleanField(_l("Alert when no response arrives"))
    silence_minutes = IntegerField(
        _l("For (minutes of opening hours)"),
        validators=[InputRequired()],
        description=_l("Only while the office is open, and only at locations with an active kiosk."),
    )
    silence_recipients = TextAreaField(_l("Extra recipients"), description=RECIPIENTS_HINT)

    PARAMS: ClassVar[dict[str, tuple[str, ...]]] = {
        kind: tuple(rule_settings.DEFAULT_PARAMS[kind]) for kind in ALERT_KINDS
    }

    def fields_of(self, kind: str) -> list:
        return [getattr(self, f"{kind}_{name}") for name in self.PARAMS[kind]]

    @classmethod
    def data_of(cls, rules: dict[str, rule_settings.Rule]) -> dict[str, object]:
        data: dict[str, object] = {}
        for kind, rule in rules.items():
            data[f"{kind}_enabled"] = rule.enabled
            data[f"{kind}_recipients"] = "\n".join(rule.recipients)
            data |= {f"{kind}_{name}": value for name, value in rule.params.items()}
        return data

    def settings(self) -> dict[str, dict]:
        return {
            kind: {
                "enabled": getattr(self, f"{kind}_enabled").data,
                "params": {name: getattr(self, f"{kind}_{name}").data for name in self.PARAMS[kind]},
                "recipients": getattr(self, f"{kind}_recipients").data or "",
            }
            for kind in ALERT_KINDS
        }


@admin_bp.get("/alerts")
@login_required
def alerts_list():
    state = request.args.get("state", "open")
    if state not in alert_log.STATES:
        state = "open"
    before = older_than()
    rows, older = alert_log.alerts_page(db.session, actor(), state=state, before=before)
    return render_template(
        "admin/alerts/list.html",
        rows=rows,
        older=older,
        before=before,
        state=state,
        states=STATE_LABELS,
        kinds=KIND_LABELS,
    )


def _alert_page(alert_id: int, form: AcknowledgeForm, code: int = 200):
    try:
        alert = alert_log.alert_in_scope(db.session, actor(), alert_id)
    except NotFound:
        abort(404)
    return render_template(
        "admin/alerts/alert.html",
        alert=alert,
        form=form,
        kinds=KIND_LABELS,
        figures=alert_log.figures(alert),
        tz=alert.location.office.tz,
    ), code


@admin_bp.get("/alerts/<int:alert_id>")
@login_required
def alert_page(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    return _alert_page(alert_id, AcknowledgeForm(data={"comment": alert.comment} if alert else None))


@admin_bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def alert_acknowledge(alert_id: int):
    form = AcknowledgeForm()
    if form.validate_on_submit() and save(
        form, lambda: alert_log.acknowledge(db.session, actor(), alert_id, form.comment.data, clock.now())
    ):
        flash(_("The alert was acknowledged."))
        return redirect(url_for("admin.alert_page", alert_id=alert_id))
    return _alert_page(alert_id, form, 422)


@admin_bp.get("/alerts/rules")
@login_required
def alert_rules():
    return render_template(
        "admin/alerts/rules.html",
        rows=rule_settings.rules_overview(db.session, actor()),
        kinds=KIND_LABELS,
        percent=percent_from_target,
    )


@admin_bp.route("/alerts/rules/<code>", methods=["GET", "POST"])
@login_required
def alert_rules_edit(code: str):
    location = scoped_location(code)
    rules = rule_settings.location_rules(db.session, actor(), location.id)
    form = RulesForm(data=RulesForm.data_of(rules) if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form, lambda: rule_settings.save_rules(db.session, actor(), location.id, form.settings())
    ):
        flash(_("The alert rules of %(code)s were saved.", code=location.code))
        return redirect(url_for("admin.alert_rules"))
    return render_template(
        "admin/alerts/rule_form.html",
        form=form,
        location=location,
        kinds=KIND_LABELS,
        target=location.effective_csat_target,
        percent=percent_from_target,
    ), status()
