"""Management pages of the admin site: offices, locations and surveys here; kiosks in
``manage_kiosks``, users, personal API tokens and the audit log in ``manage_people``.

Access: every view needs sign-in; admin-only pages answer 403 to a manager; an object outside
the user's scope answers 404, like an unknown one. A form that fails validation is shown again
with its messages and status 422, and nothing is stored. The rules and the audit entries are in
``feedback.services.management``.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from admin_app.manage_forms import (
    A11TemplateForm,
    LocationCreateForm,
    LocationEditForm,
    OfficeForm,
    SurveyAssignForm,
    SurveyCreateForm,
    SurveyForm,
    option,
)
from admin_app.pages import admin_bp
from admin_app.posters import location_in_scope
from feedback import touchpoints
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Location, Office, Survey, SurveyVersion
from feedback.services import a11, management
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.management import Forbidden
from feedback.touchpoints import A11_V2


def admin_required(view):
    """Admins only: a signed-in manager gets 403. Put it under ``login_required``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def actor():
    return current_user._get_current_object()


def attach_errors(form, exc: InvalidInput) -> None:
    """Put a service's messages on the form's fields (others on the form itself)."""
    for name, messages in exc.errors.items():
        field = form._fields.get(name)
        (field.errors if field is not None else form.form_errors).extend(messages)
    if not exc.errors:
        form.form_errors.append(exc.detail)


def save(form, change, success: str | None = None):
    """Run ``change`` (a service call) in one write transaction. Returns True when stored;
    on a refusal the messages go onto ``form`` and nothing is stored."""
    try:
        with write_transaction(db.session):
            result = change()
    except InvalidInput as exc:
        attach_errors(form, exc)
        return False
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    if success:
        flash(success if result or result is None else "Nothing changed.")
    return True


def status() -> int:
    """200 for a page, 422 for a form posted back with errors."""
    return 422 if request.method == "POST" else 200


def no_store(response):
    """Pages that show a secret once (tokens, enrolment links) must not be cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- offices ----------------------------------------------------------------------------------


@admin_bp.get("/offices")
@login_required
@admin_required
def offices():
    rows = db.session.scalars(select(Office).options(joinedload(Office.locations)).order_by(Office.name)).unique()
    return render_template(
        "admin/manage/offices.html",
        offices=list(rows),
        hours=management.opening_hours_text,
        percent=management.percent_from_target,
    )


def _office_standards(form: OfficeForm) -> dict:
    return {
        "csat_target_percent": form.csat_target.data,
        "weekly_response_target": form.weekly_response_target.data,
        "service_provided": form.service_provided.data,
        "service_provider": form.service_provider.data,
        "scoreboard_public": form.scoreboard_public.data,
    }


def _office_form_page(form: OfficeForm, office: Office | None):
    return render_template(
        "admin/manage/office_form.html", form=form, office=office, timezones=management.timezone_names()
    ), status()


@admin_bp.route("/offices/new", methods=["GET", "POST"])
@login_required
@admin_required
def office_new():
    form = OfficeForm(data=management.opening_hours_text(None) if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form,
        lambda: management.create_office(
            db.session,
            actor(),
            name=form.name.data,
            timezone=form.timezone.data,
            opening_hours=form.hours_text(),
            **_office_standards(form),
        ),
    ):
        flash(f"Office {form.name.data.strip()} was created.")
        return redirect(url_for("admin.offices"))
    return _office_form_page(form, None)


@admin_bp.route("/offices/<int:office_id>/edit", methods=["GET", "POST"])
@login_required
@admin_required
def office_edit(office_id: int):
    office = db.session.get(Office, office_id) or abort(404)
    data = {
        "name": office.name,
        "timezone": office.timezone,
        "csat_target": management.percent_from_target(office.csat_target),
        "weekly_response_target": office.weekly_response_target,
        "service_provided": office.service_provided,
        "service_provider": office.service_provider,
        "scoreboard_public": office.scoreboard_public,
    }
    form = OfficeForm(data=data | management.opening_hours_text(office) if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form,
        lambda: management.update_office(
            db.session,
            actor(),
            office.id,
            name=form.name.data,
            timezone=form.timezone.data,
            opening_hours=form.hours_text(),
            **_office_standards(form),
        ),
        f"Office {form.name.data.strip()} was saved.",
    ):
        return redirect(url_for("admin.offices"))
    return _office_form_page(form, office)


# --- locations --------------------------------------------------------------------------------


@admin_bp.get("/locations")
@login_required
def locations():
    return render_template(
        "admin/manage/locations.html",
        locations=management.scoped_locations(db.session, actor()),
        percent=management.percent_from_target,
    )


def _office_choices():
    return [option(o.id, o.name) for o in db.session.scalars(select(Office).order_by(Office.name))]


def _survey_choices():
    return [option(s.id, s.name) for s in db.session.scalars(select(Survey).order_by(Survey.name))]


@admin_bp.route("/locations/new", methods=["GET", "POST"])
@login_required
@admin_required
def location_new():
    default = db.session.scalar(select(Survey.id).where(Survey.name == "Default"))
    form = LocationCreateForm(data={"active": True, "survey": default} if request.method == "GET" else None)
    form.office.choices = _office_choices()
    form.survey.choices = _survey_choices()
    if form.validate_on_submit() and save(
        form,
        lambda: management.create_location(
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
        flash(f"Location {form.code.data} was created.")
        return redirect(url_for("admin.locations"))
    return render_template("admin/manage/location_form.html", form=form, location=None), status()


@admin_bp.route("/locations/<code>/edit", methods=["GET", "POST"])
@login_required
def location_edit(code: str):
    location = location_in_scope(code)
    data = {
        "name": location.name,
        "active": location.active,
        "office": location.office_id,
        "csat_target": management.percent_from_target(location.csat_target),
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
        lambda: management.update_location(
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
        f"Location {location.code} was saved.",
    ):
        return redirect(url_for("admin.locations"))
    return render_template("admin/manage/location_form.html", form=form, location=location), status()


# --- surveys ----------------------------------------------------------------------------------


@admin_bp.get("/surveys")
@login_required
@admin_required
def surveys():
    return render_template("admin/manage/surveys.html", rows=management.surveys_with_current(db.session))


def _survey_fields(form):
    return management.survey_fields(**form.fields_data())


@admin_bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
@admin_required
def survey_new():
    defaults = {
        "scale": "faces5",
        "question_en": "How did we do today?",
        "question_es": "¿Cómo lo hicimos hoy?",
        "followup_choices": list(management.DRIVERS[:6]),
    }
    template_form = A11TemplateForm(request.args, prefix="t")  # ids apart from the survey form's own
    if request.method == "GET" and request.args.get("template") == A11_V2 and template_form.validate():
        defaults = touchpoints.template(template_form.agency.data.strip(), template_form.scale.data)
    form = SurveyCreateForm(data=defaults if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form, lambda: management.create_survey(db.session, actor(), name=form.name.data, fields=_survey_fields(form))
    ):
        flash(f"Survey {form.name.data.strip()} was created.")
        return redirect(url_for("admin.surveys"))
    return render_template(
        "admin/manage/survey_form.html", form=form, survey=None, template_form=template_form
    ), status()


def _assign_choices(survey: Survey):
    rows = db.session.scalars(
        select(Location).options(joinedload(Location.office), joinedload(Location.survey)).order_by(Location.code)
    )
    return [
        option(loc.id, f"{loc.code} \u2013 {loc.name} ({loc.office.name}; now: {loc.survey.name})")
        for loc in rows
        if loc.survey_id != survey.id
    ]


def _survey_page(survey: Survey, form: SurveyForm, assign: SurveyAssignForm, code: int = 200):
    versions = management.survey_versions(db.session, survey.id)
    using = list(db.session.scalars(select(Location).where(Location.survey_id == survey.id).order_by(Location.code)))
    return render_template(
        "admin/manage/survey_form.html",
        form=form,
        survey=survey,
        versions=versions,
        using=using,
        assign=assign,
        a11_status=a11.survey_status(versions[0]),
    ), code


@admin_bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
@admin_required
def survey_edit(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    current = management.SurveyFields.of(SurveyVersion.current_for(db.session, survey.id))
    data = vars(current) | {"followup_choices": list(current.followup_choices)}
    form = SurveyForm(data=data if request.method == "GET" else None)
    assign = SurveyAssignForm(formdata=None)
    assign.locations.choices = _assign_choices(survey)
    if form.validate_on_submit():
        created = []
        if save(
            form, lambda: created.append(management.edit_survey(db.session, actor(), survey.id, _survey_fields(form)))
        ):
            flash(
                f"Survey {survey.name} is now at version {created[0].version}."
                if created[0]
                else "Nothing changed; no new version was made."
            )
            return redirect(url_for("admin.survey_edit", survey_id=survey.id))
    return _survey_page(survey, form, assign, status())


@admin_bp.post("/surveys/<int:survey_id>/assign")
@login_required
@admin_required
def survey_assign(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    assign = SurveyAssignForm()
    assign.locations.choices = _assign_choices(survey)
    current = management.SurveyFields.of(SurveyVersion.current_for(db.session, survey.id))
    form = SurveyForm(formdata=None, data=vars(current) | {"followup_choices": list(current.followup_choices)})
    if assign.validate_on_submit():
        changed = []
        if save(
            assign,
            lambda: changed.extend(management.assign_survey(db.session, actor(), survey.id, assign.locations.data)),
        ):
            flash(f"{', '.join(loc.code for loc in changed)} now ask {survey.name}.")
            return redirect(url_for("admin.survey_edit", survey_id=survey.id))
    return _survey_page(survey, form, assign, 422)


from admin_app import manage_kiosks, manage_people  # noqa: E402,F401  (their routes on admin_bp)
