"""Triage pages of the comment inbox: one comment's follow-up (``/admin/comments/<id>/case``) and
the topics of the comments (``/admin/comments/topics``).

The follow-up form offers as assignee only the users who see the comment's location, and a
manager reaches only their own locations' comments (else 404). Saving goes through
:func:`feedback.services.triage.save_case`, which audits the change. Topics read only what the
inbox already shows the user (:mod:`feedback.services.topics`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from admin_app.comment_labels import DRIVER_NAMES, rating_text
from admin_app.filters import load_query
from admin_app.manage_forms import option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, save, status
from feedback import clock
from feedback.extensions import db
from feedback.models import Location, SurveyVersion
from feedback.models.cases import NOTE_MAX
from feedback.scales import DRIVERS
from feedback.schemas.comments import TopicsQuerySchema
from feedback.services import comments, topics, triage, users
from feedback.services.errors import NotFound

TOPIC_DAYS = 30  # the default period of the topics page, ending today


class CaseForm(FlaskForm):
    assignee = SelectField(_l("Assigned to"), choices=[], default="")
    due = DateField(_l("Due date"), validators=[Optional()])
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=NOTE_MAX)],
        description=_l("For the people who follow it up; the visitor never sees it."),
    )
    resolution = TextAreaField(
        _l("What was done"), validators=[Length(max=NOTE_MAX)], description=_l("Needed to mark it resolved.")
    )
    resolved = BooleanField(_l("Resolved"))


def _back(default: str) -> str:
    """Where to return: the inbox view the user came from (a local inbox path only)."""
    back = request.args.get("back", "")
    return back if back.startswith("/admin/comments") and "//" not in back and "\\" not in back else default


@admin_bp.route("/comments/<uuid:response_id>/case", methods=["GET", "POST"])
@login_required
def comment_case(response_id: uuid.UUID) -> ResponseReturnValue:
    scope = users.scope_location_ids(db.session, actor())
    try:
        response = triage.comment_in_scope(db.session, scope, response_id)
    except NotFound:
        abort(404)
    case = triage.cases_for(db.session, [response_id]).get(response_id)
    form = CaseForm(
        data={
            "assignee": str(case.assignee_id or "") if case else "",
            "due": case.due if case else None,
            "note": case.note or "" if case else "",
            "resolution": case.resolution or "" if case else "",
            "resolved": bool(case and case.resolved_at),
        }
        if request.method == "GET"
        else None
    )
    people = triage.users_in_scope(db.session, response.location_id)
    form.assignee.choices = [option("", _("No one")), *(option(str(u.id), u.email) for u in people)]
    back = _back(url_for("admin.comments_inbox"))
    if form.validate_on_submit():
        data = triage.CaseInput(
            assignee_id=int(form.assignee.data) if form.assignee.data else None,
            due=form.due.data,
            note=form.note.data or "",
            resolution=form.resolution.data or "",
            resolved=form.resolved.data,
        )
        if save(
            form,
            lambda: triage.save_case(db.session, actor(), scope, response_id, data, clock.now()),
            _("The follow-up was saved."),
        ):
            return redirect(back)
    location = db.session.get(Location, response.location_id) or abort(404)
    version = db.session.get(SurveyVersion, response.survey_version_id) or abort(404)
    item = comments.InboxItem(
        response.id,
        location,
        response.client_time,
        response.rating,
        version.scale,
        response.channel,
        response.language,
        response.comment or "",
        response.comment_state or "",
        bool(response.comment_flagged),
        bool(response.suspect),
        tuple(response.followup_chosen or ()),
    )
    names = triage.user_names(db.session, {case.resolved_by_id} if case else set())
    return render_template(
        "admin/comments/case.html",
        form=form,
        item=item,
        case=case,
        resolved_by=names.get(case.resolved_by_id) if case and case.resolved_by_id else None,
        rating_text=rating_text(item),
        driver_names=DRIVER_NAMES,
        back=back,
    ), status()


@admin_bp.get("/comments/topics")
@login_required
def comments_topics() -> ResponseReturnValue:
    query = load_query(TopicsQuerySchema())
    scope = users.scope_location_ids(db.session, actor())
    today = clock.now().date()
    start, end = query["from_"], query["to"]
    if start is None and end is None:
        start, end = today - timedelta(days=TOPIC_DAYS - 1), today
    ids = set(scope)
    if query["location"]:
        found = db.session.scalar(select(Location.id).where(Location.code == query["location"].strip().upper()))
        if found not in scope:
            abort(404)
        ids = {found}
    found_topics = topics.topics(db.session, ids, start, end)
    places = {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(scope)))}

    def inbox_url(location_id: int, **extra: str) -> str:
        args: dict[str, Any] = {"location": places[location_id].code} | extra
        if start:
            args["from"] = start.isoformat()
        if end:
            args["to"] = end.isoformat()
        return url_for("admin.comments_inbox", **args)

    return render_template(
        "admin/comments/topics.html",
        topics=found_topics,
        places=places,
        choices=sorted(places.values(), key=lambda loc: loc.code),
        query=query,
        start=start,
        end=end,
        drivers=[(d, DRIVER_NAMES[d]) for d in DRIVERS],
        inbox_url=inbox_url,
    )
