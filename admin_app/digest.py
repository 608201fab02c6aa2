"""The signed-in user's e-mail digest: subscribe or unsubscribe (weekly, daily, language) and a
preview of the next digest of their scope, as the scheduler will send it
(``feedback/services/digests.py``, ``feedback/digest_mail.py``)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from admin_app.manage_forms import option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, save, status
from feedback import clock, digest_mail
from feedback.extensions import db
from feedback.i18n import LANGUAGE_NAMES
from feedback.services import digests


class DigestForm(FlaskForm):
    weekly = BooleanField(_l("Weekly digest"))
    daily = BooleanField(_l("Daily digest as well"))
    language = SelectField(
        _l("Language of the e-mails"), choices=[option(c, LANGUAGE_NAMES[c]) for c in digests.LANGUAGES]
    )


def _schedule() -> digests.Schedule:
    return digests.Schedule.from_config(current_app.config["DIGEST_WEEKDAY"], current_app.config["DIGEST_HOUR"])


@admin_bp.route("/digest", methods=["GET", "POST"])
@login_required
def digest() -> ResponseReturnValue:
    user = actor()
    now = clock.now()
    current = digests.subscription(db.session, user.id)
    data = (
        {"weekly": current.weekly, "daily": current.daily, "language": current.language}
        if current
        else {
            "weekly": False,
            "daily": False,
            "language": str(request.accept_languages.best_match(digests.LANGUAGES) or "en"),
        }
    )
    form = DigestForm(data=data if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form,
        lambda: digests.subscribe(
            db.session, user, now, weekly=form.weekly.data, daily=form.daily.data, language=form.language.data
        ),
        _("Your digest settings were saved."),
    ):
        return redirect(url_for("admin.digest"), 303)
    kind = "daily" if request.args.get("kind") == "daily" else "weekly"
    zone = digests.home_zone(db.session, user)
    upcoming = digests.next_send(kind, now.astimezone(zone), _schedule())
    preview = digests.build(db.session, user, kind, upcoming, zone)  # its days, as far as they have gone
    db.session.commit()  # end the read
    return render_template(
        "admin/digest.html",
        form=form,
        kind=kind,
        subscribed=current,
        preview_html=digest_mail.html_fragment(preview, ""),
        subject=digest_mail.subject(preview),
        next_send=format_datetime(upcoming, "full", rebase=False),
        mail_on=bool(current_app.config.get("SMTP_URL")),
        language_choices=[(code, LANGUAGE_NAMES[code]) for code in digests.LANGUAGES],
    ), status()
