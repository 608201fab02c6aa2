"""Management pages of the admin site: offices and locations. Surveys are in ``manage_surveys``,
kiosks in ``manage_kiosks``; users, personal API tokens and the audit log in ``manage_people``.

Every view needs sign-in; admin-only pages answer 403 to a manager, and an object outside the
user's scope answers 404 like an unknown one. The rules and the audit are the services'; a form
they refuse is shown again with their messages and status 422, and nothing is stored.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from admin_app.manage_forms import LocationCreateForm, LocationEditForm, OfficeForm, option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, admin_required, save, scoped_location, status
from feedback.extensions import db
from feedback.i18n import LANGUAGES
from feedback.models import Office
from feedback.services import hours, locations, offices, surveys
from feedback.services.editing import KEEP
from feedback.services.targets import OfficeStandards, percent_from_target

# --- offices ----------------------------------------------------------------------------------


@admin_bp.get("/offices", endpoint="offices")
@login_required
@admin_required
def office_list() -> ResponseReturnValue:
    return render_template(
        "admin/manage/offices.html",
        offices=offices.all_offices(db.session, with_locations=True),
        hours=hours.opening_hours_text,
        percent=percent_from_target,
    )


def _office_standards(form: OfficeForm) -> OfficeStandards:
    return {
        "csat_target_percent": form.csat_target.data,
        "weekly_response_target": form.weekly_response_target.data,
        "service_provided": form.service_provided.data,
        "service_provider": form.service_provider.data,
    }


def _office_form_page(form: OfficeForm, office: Office | None) -> ResponseReturnValue:
    page = render_template(
        "admin/manage/office_form.html", form=form, office=office, timezones=offices.timezone_names()
    )
    return page, status()


@admin_bp.route("/offices/new", methods=["GET", "POST"])
@login_required
@admin_required
def office_new() -> ResponseReturnValue:
    form = OfficeForm(data=hours.opening_hours_text(None) if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form,
        lambda: offices.create_office(
            db.session,
            actor(),
            name=form.name.data,
            timezone=form.timezone.data,
            opening_hours=form.hours_text(),
            scoreboard_public=form.scoreboard_public.data,
            visitor_languages=form.visitor_languages.data if form.visitor_languages_shown.data else None,
            **_office_standards(form),
        ),
    ):
        flash(_("Office %(name)s was created.", name=form.name.data.strip()))
        return redirect(url_for("admin.offices"))
    return _office_form_page(form, None)


@admin_bp.route("/offices/<int:office_id>/edit", methods=["GET", "POST"])
@login_required
@admin_required
def office_edit(office_id: int) -> ResponseReturnValue:
    office = db.session.get(Office, office_id) or abort(404)
    data = {
        "name": office.name,
        "timezone": office.timezone,
        "csat_target": percent_from_target(office.csat_target),
        "weekly_response_target": office.weekly_response_target,
        "service_provided": office.service_provided,
        "service_provider": office.service_provider,
        "scoreboard_public": office.scoreboard_public,
        "visitor_languages": list(office.visitor_languages or LANGUAGES),
    }
    form = OfficeForm(data=data | hours.opening_hours_text(office) if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form,
        lambda: offices.update_office(
            db.session,
            actor(),
            office.id,
            name=form.name.data,
            timezone=form.timezone.data,
            opening_hours=form.hours_text(),
            scoreboard_public=form.scoreboard_public.data,
            visitor_languages=form.visitor_languages.data if form.visitor_languages_shown.data else KEEP,
            **_office_standards(form),
        ),
        _("Office %(name)s was saved.", name=form.name.data.strip()),
    ):
        return redirect(url_for("admin.offices"))
    return _office_form_page(form, office)


# --- locations --------------------------------------------------------------------------------


@admin_bp.get("/locations", endpoint="locations")
@login_required
def location_list() -> ResponseReturnValue:
    return render_template(
        "admin/manage/locations.html",
        locations=locations.scoped_locations(db.session, actor()),
        percent=percent_from_target,
    )


def _office_choices() -> list[object]:
    return [option(o.id, o.name) for o in offices.all_offices(db.session)]


@admin_bp.route("/locations/new", methods=["GET", "POST"])
@login_required
@admin_required
def location_new() -> ResponseReturnValue:
    default = surveys.survey_named(db.session, surveys.DEFAULT_NAME)
    data = {"active": True, "survey": default.id if default else None}
    form = LocationCreateForm(data=data if request.method == "GET" else None)
    form.office.choices = _office_choices()
    form.survey.choices = [option(s.id, s.name) for s in surveys.all_surveys(db.session)]
    if form.validate_on_submit() and save(
        form,
        lambda: locations.create_location(
            db.session,
            actor(),
            code=form.code.data,
            name=form.name.data,
            office_id=form.office.data,
            survey_id=form.survey.data,
            active=form.active.data,
            csat_target_percent=form.csat_target.data,
            weekly_response_target=form.weekly_response_target.data,
            service_provided=form.service_provided.data,
            a11_channel_kiosk=form.a11_channel_kiosk.data,
            a11_channel_qr=form.a11_channel_qr.data,
        ),
    ):
        flash(_("Location %(code)s was created.", code=form.code.data))
        return redirect(url_for("admin.locations"))
    return render_template("admin/manage/location_form.html", form=form, location=None), status()


@admin_bp.route("/locations/<code>/edit", methods=["GET", "POST"])
@login_required
def location_edit(code: str) -> ResponseReturnValue:
    location = scoped_location(code)
    data = {
        "name": location.name,
        "active": location.active,
        "office": location.office_id,
        "csat_target": percent_from_target(location.csat_target),
        "weekly_response_target": location.weekly_response_target,
        "service_provided": location.service_provided,
        "a11_channel_kiosk": location.a11_channel_kiosk or "",
        "a11_channel_qr": location.a11_channel_qr or "",
    }
    form = LocationEditForm(data=data if request.method == "GET" else None)
    if current_user.is_admin:
        form.office.choices = _office_choices()
    else:
        del form.office  # managers cannot move a location to another office
    if form.validate_on_submit() and save(
        form,
        lambda: locations.update_location(
            db.session,
            actor(),
            location.id,
            name=form.name.data,
            active=form.active.data,
            csat_target_percent=form.csat_target.data,
            weekly_response_target=form.weekly_response_target.data,
            service_provided=form.service_provided.data,
            a11_channel_kiosk=form.a11_channel_kiosk.data,
            a11_channel_qr=form.a11_channel_qr.data,
            office_id=form.office.data if "office" in form else None,
        ),
        _("Location %(code)s was saved.", code=location.code),
    ):
        return redirect(url_for("admin.locations"))
    return render_template("admin/manage/location_form.html", form=form, location=location), status()
