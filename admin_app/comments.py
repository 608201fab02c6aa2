"""The comment inbox of the admin site: ``GET /admin/comments`` lists, ``POST`` acts.

The page's state is in its URL (:class:`feedback.schemas.comments.InboxQuerySchema`): the tab,
the filters and the page. Both the per-row buttons and the bulk form post to the same URL
with that query string, so after the change (POST-redirect-GET, with a flash message) the
user is back on the view they acted from. A manager sees and changes only their locations'
comments: a location or office filter outside the scope answers 404, and so does an action
naming any comment outside it (then nothing changes). The rules are in
:mod:`feedback.services.comments`.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import Field, SelectField
from wtforms.validators import ValidationError as FieldError

from admin_app import charts, confirm
from admin_app.comment_labels import DRIVER_NAMES, SIDE_LABELS, rating_text
from admin_app.filters import load_query
from admin_app.manage_forms import option
from admin_app.pages import admin_bp
from feedback.extensions import db
from feedback.i18n import LANGUAGE_NAMES
from feedback.models import Location, Office
from feedback.scales import DRIVERS
from feedback.schemas.comments import InboxQuerySchema
from feedback.services import comments, triage, users
from feedback.services.errors import InvalidInput, NotFound

PER_PAGE = comments.PAGE_SIZE
TAB_LABELS = {
    "open": _l("Open"),
    "flagged": _l("Flagged"),
    "handled": _l("Handled"),
    "archived": _l("Archived"),
    "spam": _l("Spam"),
}
ACTION_LABELS = {
    "handle": _l("Mark handled"),
    "archive": _l("Archive"),
    "reopen": _l("Reopen"),
    "flag": _l("Flag"),
    "unflag": _l("Remove flag"),
    "mark_spam": _l("Mark as spam"),
    "unmark_spam": _l("Not spam"),
}
# What the bulk form offers on each tab (the service also accepts the others, and skips what they don't fit).
TAB_ACTIONS = {
    "open": ("handle", "archive", "flag", "unflag", "mark_spam"),
    "flagged": ("handle", "archive", "reopen", "unflag", "mark_spam"),
    "handled": ("reopen", "archive", "flag", "unflag", "mark_spam"),
    "archived": ("reopen", "handle", "flag", "unflag", "mark_spam"),
    "spam": ("unmark_spam",),
}
# The buttons of one comment, by its state (the flag button is added when not spam).
ROW_ACTIONS = {
    "open": ("handle", "archive", "mark_spam"),
    "handled": ("reopen", "archive", "mark_spam"),
    "archived": ("reopen", "handle", "mark_spam"),
    "spam": ("unmark_spam",),
}


def _done_message(action: str, n: int) -> str:
    messages = {
        "handle": ngettext("%(num)d comment marked handled.", "%(num)d comments marked handled.", n),
        "archive": ngettext("%(num)d comment archived.", "%(num)d comments archived.", n),
        "reopen": ngettext("%(num)d comment reopened.", "%(num)d comments reopened.", n),
        "flag": ngettext("%(num)d comment flagged.", "%(num)d comments flagged.", n),
        "unflag": ngettext("%(num)d flag removed.", "%(num)d flags removed.", n),
        "mark_spam": ngettext(
            "%(num)d comment marked as spam; its rating no longer counts in any score.",
            "%(num)d comments marked as spam; their ratings no longer count in any score.",
            n,
        ),
        "unmark_spam": ngettext(
            "%(num)d comment is no longer spam; its rating counts again.",
            "%(num)d comments are no longer spam; their ratings count again.",
            n,
        ),
    }
    return messages[action]


class UUIDListField(Field):
    """Every value posted under the field's name, as UUIDs (``ids=…&ids=…``)."""

    def process_formdata(self, valuelist):
        self.data = []
        for value in valuelist:
            try:
                self.data.append(uuid.UUID(value))
            except (ValueError, AttributeError, TypeError):
                self.data = []
                raise ValueError(_("Not a comment id.")) from None

    def _value(self):
        return ""


class CommentActionForm(FlaskForm):
    action = SelectField(choices=[option(a, a) for a in comments.ACTIONS])  # labels are in the template
    ids = UUIDListField()

    def validate_ids(self, field):
        if len(field.data or ()) > comments.MAX_IDS:
            raise FieldError(_("At most %(num)d comments at a time.", num=comments.MAX_IDS))


def _query() -> dict:
    """The URL's tab, filters and cursor; 400 when malformed."""
    return load_query(InboxQuerySchema())


def _filtered_ids(query: dict, scope: set[int]) -> list[int]:
    """The scope narrowed by the location and office filters; outside the scope is 404."""
    ids = set(scope)
    if query["office"]:
        office_id = db.session.scalar(select(Office.id).where(Office.slug == query["office"]))
        in_office = (
            set(db.session.scalars(select(Location.id).where(Location.office_id == office_id))) if office_id else set()
        )
        if not in_office & ids:
            abort(404)
        ids &= in_office
    if query["location"]:
        location_id = db.session.scalar(select(Location.id).where(Location.code == query["location"].strip().upper()))
        if location_id not in ids:
            abort(404)
        ids = {location_id}
    return sorted(ids)


def _link_args(query: dict, **changes) -> dict:
    """URL parameters of the current view, with ``changes`` (None drops one)."""
    args = {
        "tab": query["tab"],
        "location": query["location"],
        "office": query["office"],
        "q": query["q"],
        "from": query["from_"].isoformat() if query["from_"] else None,
        "to": query["to"].isoformat() if query["to"] else None,
        "after": query["after"],
        "side": query["side"],
        "assignee": query["assignee"],
        "driver": query["driver"],
        "order": query["order"],
    }
    args.update(changes)
    if args.get("order") == "newest":
        args["order"] = None  # the default
    if args.get("tab") == "open":
        args["tab"] = None  # the default
    return {k: v for k, v in args.items() if v}


@admin_bp.get("/comments")
@login_required
def comments_inbox():
    query = _query()
    scope = users.scope_location_ids(db.session, current_user)
    location_ids = _filtered_ids(query, scope)
    q = (query["q"] or "").strip() or None
    try:
        page = comments.inbox(
            db.session,
            location_ids,
            tab=query["tab"],
            q=q,
            start=query["from_"],
            end=query["to"],
            after=query["after"],
            per_page=PER_PAGE,
            extra=triage.conditions(
                current_user.id, side=query["side"], assignee=query["assignee"], driver=query["driver"]
            ),
            negative_first=query["order"] == "negative",
        )
    except InvalidInput as exc:  # a cursor that is not one
        abort(400, description=exc.detail)
    choices = (
        list(
            db.session.scalars(
                select(Location)
                .options(joinedload(Location.office))
                .where(Location.id.in_(scope))
                .order_by(Location.code)
            )
        )
        if scope
        else []
    )
    cases = triage.cases_for(db.session, [item.id for item in page.items])
    people = triage.assignees_for_scope(db.session, scope)
    names = {u.id: u.email for u in people} | triage.user_names(
        db.session, {c.assignee_id for c in cases.values()} | {c.resolved_by_id for c in cases.values()}
    )
    return render_template(
        "admin/comments/inbox.html",
        page=page,
        cases=cases,
        names=names,
        people=people,
        drivers=[(d, DRIVER_NAMES[d]) for d in DRIVERS],
        sides=[(s, SIDE_LABELS[s]) for s in triage.SIDES],
        driver_label=lambda d: DRIVER_NAMES.get(d, d),
        back_path=url_for("admin.comments_inbox", **_link_args(query)),
        mine_url=url_for("admin.comments_inbox", **_link_args(query, assignee="me", after=None)),
        query=query,
        q=q or "",
        tab=query["tab"],
        choices=choices,
        offices=sorted({loc.office for loc in choices}, key=lambda o: o.name),
        tabs=[
            (t, TAB_LABELS[t], page.counts[t], url_for("admin.comments_inbox", **_link_args(query, tab=t, after=None)))
            for t in comments.TABS
        ],
        action_url=url_for("admin.comments_act", **_link_args(query)),
        next_url=url_for("admin.comments_inbox", **_link_args(query, after=page.next_cursor))
        if page.next_cursor
        else None,
        first_url=url_for("admin.comments_inbox", **_link_args(query, after=None)) if query["after"] else None,
        reset_url=url_for(
            "admin.comments_inbox",
            **_link_args(
                {
                    **query,
                    **dict.fromkeys(
                        ("location", "office", "q", "from_", "to", "after", "side", "assignee", "driver", "order")
                    ),
                }
            ),
        ),
        bulk_actions=[(a, ACTION_LABELS[a]) for a in TAB_ACTIONS[query["tab"]]],
        row_actions=ROW_ACTIONS,
        action_labels=ACTION_LABELS,
        tab_labels=TAB_LABELS,
        rating_text=rating_text,
        channel_label=lambda c: charts.CHANNEL_LABELS.get(c, c),
        language_label=lambda code: LANGUAGE_NAMES.get(code, code),
        local_time=lambda item: format_datetime(item.local_time, "medium", rebase=False),
    )


@admin_bp.post("/comments")
@login_required
def comments_act():
    query = _query()
    back = redirect(url_for("admin.comments_inbox", **_link_args(query)))
    form = CommentActionForm()
    if not form.validate_on_submit():
        # The CSRF check failed before this (400); what is left is a bad action or a malformed id.
        abort(400, description="; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items()))
    if not form.ids.data:
        flash(_("Choose at least one comment first."))
        return back
    if form.action.data == "mark_spam" and request.form.get("bulk") == "1" and not confirm.confirmed():
        return confirm.page(
            title=_("Mark the selected comments as spam?"),
            consequences=confirm.spam_consequences(len(form.ids.data)),
            button=_("Mark as spam"),
            back=url_for("admin.comments_inbox", **_link_args(query)),
            fields=[("action", "mark_spam"), ("bulk", "1"), *(("ids", str(i)) for i in form.ids.data)],
        )
    scope = users.scope_location_ids(db.session, current_user)
    try:
        result = comments.act(db.session, current_user._get_current_object(), scope, form.action.data, form.ids.data)
    except NotFound:
        abort(404)
    if result.changed:
        flash(_done_message(result.action, len(result.changed)))
    if result.unchanged:
        flash(
            ngettext(
                "%(num)d of the chosen comments needed no change.",
                "%(num)d of the chosen comments needed no change.",
                result.unchanged,
            )
        )
    return back
