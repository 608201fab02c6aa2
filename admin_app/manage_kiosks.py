"""Kiosks in the user's scope: list with health, enrol (one-time link and its QR code), new link, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from admin_app import confirm
from admin_app.forms import ConfirmForm
from admin_app.manage_forms import EnrolForm, option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, no_store, save
from feedback import clock
from feedback.extensions import db
from feedback.models import Device
from feedback.services import kiosks, locations, qr


def _enrol_form(formdata: object = None) -> EnrolForm:
    form = EnrolForm() if formdata is None else EnrolForm(formdata=formdata)
    form.location.choices = [
        option(loc.id, f"{loc.code} \u2013 {loc.name}")
        for loc in locations.scoped_locations(db.session, actor())
        if loc.active
    ]
    return form


def _list(form: EnrolForm, code: int = 200, errors: list[str] | None = None) -> ResponseReturnValue:
    page = render_template(
        "admin/manage/kiosks.html",
        rows=kiosks.kiosk_rows(db.session, actor(), clock.now()),
        form=form,
        confirm=ConfirmForm(),
        errors=errors or [],
        silent_minutes=int(kiosks.SILENT_AFTER.total_seconds() // 60),
    )
    return page, code


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config["ENROLLMENT_TTL_HOURS"])


def _show_link(device: Device, code: str, expires_at: datetime, new: bool) -> ResponseReturnValue:
    url = f"{current_app.config['PUBLIC_URL']}/kiosk/enroll/{code}"
    office = device.location.office
    page = render_template(
        "admin/manage/kiosk_link.html",
        device=device,
        location=device.location,
        url=url,
        qr_svg=qr.svg_inline(url),
        expires_local=expires_at.astimezone(office.tz),
        new=new,
    )
    return no_store(make_response(page, 201 if new else 200))


@admin_bp.get("/kiosks", endpoint="kiosks")
@login_required
def kiosk_list() -> ResponseReturnValue:
    return _list(_enrol_form())


@admin_bp.post("/kiosks/enrol")
@login_required
def kiosk_enrol() -> ResponseReturnValue:
    form = _enrol_form()
    if form.validate_on_submit():
        # The choices are the active locations in scope; the service answers the rest: NotFound
        # (404, like an unknown id) outside the scope, a message for a switched-off location.
        enrolled: list[kiosks.Enrolment] = []
        if save(
            form,
            lambda: enrolled.append(
                kiosks.enroll_kiosk(db.session, actor(), clock.now(), form.location.data, form.label.data, ttl=_ttl())
            ),
        ):
            kiosk = enrolled[0]
            return _show_link(kiosk.device, kiosk.code, kiosk.expires_at, new=True)
    return _list(form, 422)


@admin_bp.post("/kiosks/<int:device_id>/link")
@login_required
def kiosk_link(device_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    issued: list[tuple[Device, str, datetime]] = []
    if form.validate_on_submit() and save(
        form,
        lambda: issued.append(kiosks.new_enrolment_link(db.session, actor(), clock.now(), device_id, ttl=_ttl())),
    ):
        device, code, expires_at = issued[0]
        return _show_link(device, code, expires_at, new=False)
    return _list(_enrol_form(), 422, errors=[e for f in form for e in f.errors] + list(form.form_errors))


@admin_bp.post("/kiosks/<int:device_id>/revoke")
@login_required
def kiosk_revoke(device_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit() and not confirm.confirmed():
        row = next((r for r in kiosks.kiosk_rows(db.session, actor(), clock.now()) if r.device.id == device_id), None)
        if row is None or row.device.revoked_at is not None:
            abort(404)  # not in the user's scope (or nothing left to revoke)
        return confirm.page(
            title=_("Revoke kiosk #%(id)s?", id=device_id),
            consequences=[
                _(
                    "Kiosk #%(id)s at %(code)s stops taking answers: at its next contact it shows “This kiosk is "
                    "not enrolled”.",
                    id=device_id,
                    code=row.location.code,
                ),
                _("The tablet can only be used again after a new enrolment."),
            ],
            button=_("Revoke the kiosk"),
            back=url_for("admin.kiosks"),
        )
    if form.validate_on_submit() and save(
        form, lambda: kiosks.revoke_kiosk(db.session, actor(), clock.now(), device_id)
    ):
        flash(_("Kiosk #%(id)s was revoked; its next contact shows “not enrolled”.", id=device_id))
    return redirect(url_for("admin.kiosks"))
