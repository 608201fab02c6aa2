"""QR codes and printable posters of each location's phone survey, and link rotation."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from admin_app import confirm
from admin_app.forms import ConfirmForm
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, save, scoped_location
from feedback import clock
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Location, Office
from feedback.services import locations, posters, qr, survey_links, users

PAPERS = ("letter", "a4")


def _make_links(locations: Iterable[Location]) -> None:
    """Make the survey links these locations still lack (first view of their QR code). Only then:
    showing a poster or a QR code is a read and must not take the write lock."""
    if any(survey_links.active_link(db.session, location) is None for location in locations):
        with write_transaction(db.session):
            for location in locations:
                survey_links.current_link(db.session, location)


def _survey_url(location: Location) -> str:
    _make_links([location])
    return qr.survey_url(current_app.config["PUBLIC_URL"], survey_links.current_link(db.session, location).slug)


def _paper() -> str:
    paper = request.args.get("paper", "letter")
    return paper if paper in PAPERS else "letter"


def _qr_download(code: str, render: Callable[[str], bytes], extension: str, mimetype: str) -> Response:
    location = scoped_location(code)
    response = Response(render(_survey_url(location)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{location.code}-survey-qr.{extension}"'
    return response


@admin_bp.get("/locations/<code>/qr.png")
@login_required
def qr_png(code: str) -> ResponseReturnValue:
    return _qr_download(code, qr.png, "png", "image/png")


@admin_bp.get("/locations/<code>/qr.svg")
@login_required
def qr_svg(code: str) -> ResponseReturnValue:
    return _qr_download(code, qr.svg, "svg", "image/svg+xml")


@admin_bp.get("/locations/<code>/poster")
@login_required
def poster(code: str) -> ResponseReturnValue:
    location = scoped_location(code)
    _make_links([location])
    item = posters.poster(db.session, location, current_app.config["PUBLIC_URL"])
    return render_template("admin/posters.html", posters=[item], paper=_paper(), title=location.name)


@admin_bp.get("/offices/<slug>/posters")
@login_required
def office_posters(slug: str) -> ResponseReturnValue:
    office = db.session.scalar(select(Office).where(Office.slug == slug))
    scope = users.scope_location_ids(db.session, current_user)
    if office is None:
        abort(404)
    _make_links(posters.office_locations(db.session, office, scope))
    items = posters.office_posters(db.session, office, current_app.config["PUBLIC_URL"], scope)
    if not items:
        abort(404)  # no location of this office is in the user's scope
    return render_template("admin/posters.html", posters=items, paper=_paper(), title=office.name)


@admin_bp.post("/locations/<code>/rotate-link")
@login_required
def rotate_link(code: str) -> ResponseReturnValue:
    location = scoped_location(code)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.index"))
    if not confirm.confirmed():
        link = survey_links.active_link(db.session, location)
        address = qr.survey_url(current_app.config["PUBLIC_URL"], link.slug) if link else None
        return confirm.page(
            title=_("Retire the survey link of %(code)s?", code=location.code),
            consequences=[
                _(
                    "The phone-survey address %(url)s stops working: every printed poster and QR code for it will say "
                    "the link is no longer in use (410).",
                    url=address,
                )
                if address
                else _(
                    "The phone-survey address of %(code)s stops working: every printed poster and QR code for it "
                    "will say the link is no longer in use (410).",
                    code=location.code,
                ),
                _("A new address is made: print the new poster and replace the old ones."),
            ],
            button=_("Retire the link and make a new one"),
            back=_back(url_for("admin.locations")),
            fields=[("back", _back(url_for("admin.index")))],
        )
    save(
        form,
        lambda: locations.rotate_link(db.session, actor(), clock.now(), location.id),
        _("%(code)s: a new survey link was made; the old QR code now says it is no longer in use.", code=location.code),
    )
    return redirect(_back(url_for("admin.index")))


def _back(default: str) -> str:
    """The admin page the user came from (a local one only), else ``default``."""
    posted = request.form.get("back") or ""
    if posted.startswith("/admin") and not posted.startswith("//"):
        return posted
    referrer = request.referrer or ""
    root = request.host_url.rstrip("/")
    if referrer.startswith(root + "/admin"):
        path = referrer[len(root) :]
        if "/rotate-link" not in path:
            return path
    return default
