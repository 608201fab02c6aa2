"""Kiosks in the user's scope: list with health, enrol (one-time link and its QR code), new link, revoke."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_login import login_required

from admin_app.forms import ConfirmForm
from admin_app.manage import actor, no_store, save
from admin_app.manage_forms import EnrolForm, option
from admin_app.pages import admin_bp
from feedback.extensions import db
from feedback.services import management, qr
from feedback.services.management import SILENT_AFTER


def _enrol_form(formdata=None) -> EnrolForm:
    form = EnrolForm() if formdata is None else EnrolForm(formdata=formdata)
    form.location.choices = [
        option(loc.id, f"{loc.code} \u2013 {loc.name}")
        for loc in management.scoped_locations(db.session, actor())
        if loc.active
    ]
    return form


def _list(form: EnrolForm, code: int = 200, errors: list[str] = ()):
    rows = management.kiosk_rows(db.session, actor())
    return render_template(
        "admin/manage/kiosks.html",
        rows=rows,
        form=form,
        confirm=ConfirmForm(),
        errors=errors,
        silent_minutes=int(SILENT_AFTER.total_seconds() // 60),
    ), code


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config["ENROLLMENT_TTL_HOURS"])


def _show_link(device, code: str, expires_at, new: bool):
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


@admin_bp.get("/kiosks")
@login_required
def kiosks():
    return _list(_enrol_form())


@admin_bp.post("/kiosks/enrol")
@login_required
def kiosk_enrol():
    form = _enrol_form()
    if form.validate_on_submit():
        # The choices are the active locations in scope; the service answers the rest: NotFound
        # (404, like an unknown id) outside the scope, a message for a switched-off location.
        enrolled = []
        if save(
            form,
            lambda: enrolled.append(
                management.enroll_kiosk(db.session, actor(), form.location.data, form.label.data, ttl=_ttl())
            ),
        ):
            device, code, expires_at = enrolled[0]
            return _show_link(device, code, expires_at, new=True)
    return _list(form, 422)


@admin_bp.post("/kiosks/<int:device_id>/link")
@login_required
def kiosk_link(device_id: int):
    form = ConfirmForm()
    issued = []
    if form.validate_on_submit() and save(
        form, lambda: issued.append(management.new_enrolment_link(db.session, actor(), device_id, ttl=_ttl()))
    ):
        device, code, expires_at = issued[0]
        return _show_link(device, code, expires_at, new=False)
    return _list(_enrol_form(), 422, errors=[e for f in form for e in f.errors] + list(form.form_errors))


@admin_bp.post("/kiosks/<int:device_id>/revoke")
@login_required
def kiosk_revoke(device_id: int):
    form = ConfirmForm()
    if form.validate_on_submit() and save(form, lambda: management.revoke_kiosk(db.session, actor(), device_id)):
        flash(f"Kiosk #{device_id} was revoked; its next contact shows \u201cnot enrolled\u201d.")
    return redirect(url_for("admin.kiosks"))
