"""Survey pages of the admin site (admins only): the list, a new survey (blank or from the A-11 v2
template), an edit (a new version) and which locations ask it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from admin_app.manage_forms import A11TemplateForm, SurveyAssignForm, SurveyCreateForm, SurveyForm, option
from admin_app.pages import admin_bp
from admin_app.view_helpers import actor, admin_required, save, status
from feedback import touchpoints
from feedback.extensions import db
from feedback.models import Survey, SurveyVersion
from feedback.scales import DEFAULT_FOLLOWUP
from feedback.services import a11, locations, surveys
from feedback.touchpoints import A11_V2


@admin_bp.get("/surveys", endpoint="surveys")
@login_required
@admin_required
def survey_list() -> ResponseReturnValue:
    return render_template("admin/manage/surveys.html", rows=surveys.surveys_with_current(db.session))


def _fields(form: SurveyForm) -> surveys.SurveyFields:
    return surveys.survey_fields(**form.fields_data())


@admin_bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
@admin_required
def survey_new() -> ResponseReturnValue:
    defaults = {
        "scale": "faces5",
        "question_en": surveys.DEFAULT_QUESTION["en"],
        "question_es": surveys.DEFAULT_QUESTION["es"],
        "followup_choices": list(DEFAULT_FOLLOWUP),
    }
    template_form = A11TemplateForm(request.args, prefix="t")  # ids apart from the survey form's own
    if request.method == "GET" and request.args.get("template") == A11_V2 and template_form.validate():
        defaults = touchpoints.template(template_form.agency.data.strip(), template_form.scale.data)
    form = SurveyCreateForm(data=defaults if request.method == "GET" else None)
    if form.validate_on_submit() and save(
        form, lambda: surveys.create_survey(db.session, actor(), name=form.name.data, fields=_fields(form))
    ):
        flash(_("Survey %(name)s was created.", name=form.name.data.strip()))
        return redirect(url_for("admin.surveys"))
    page = render_template("admin/manage/survey_form.html", form=form, survey=None, template_form=template_form)
    return page, status()


def _assign_choices(survey: Survey) -> list[object]:
    return [
        option(loc.id, f"{loc.code} \u2013 {loc.name} ({loc.office.name}; now: {loc.survey.name})")
        for loc in locations.all_locations(db.session)
        if loc.survey_id != survey.id
    ]


def _current(survey: Survey) -> dict[str, object]:
    """The survey form's data: the current version's content."""
    current = surveys.SurveyFields.of(SurveyVersion.current_for(db.session, survey.id))
    return vars(current) | {"followup_choices": list(current.followup_choices)}


def _survey_page(survey: Survey, form: SurveyForm, assign: SurveyAssignForm, code: int = 200) -> ResponseReturnValue:
    versions = surveys.survey_versions(db.session, survey.id)
    page = render_template(
        "admin/manage/survey_form.html",
        form=form,
        survey=survey,
        versions=versions,
        using=surveys.locations_asking(db.session, survey.id),
        assign=assign,
        a11_status=a11.survey_status(versions[0]),
    )
    return page, code


@admin_bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
@admin_required
def survey_edit(survey_id: int) -> ResponseReturnValue:
    survey = db.session.get(Survey, survey_id) or abort(404)
    form = SurveyForm(data=_current(survey) if request.method == "GET" else None)
    assign = SurveyAssignForm(formdata=None)
    assign.locations.choices = _assign_choices(survey)
    if form.validate_on_submit():
        created: list[SurveyVersion | None] = []
        if save(form, lambda: created.append(surveys.edit_survey(db.session, actor(), survey.id, _fields(form)))):
            version = created[0]
            flash(
                _("Survey %(name)s is now at version %(version)s.", name=survey.name, version=version.version)
                if version
                else _("Nothing changed; no new version was made.")
            )
            return redirect(url_for("admin.survey_edit", survey_id=survey.id))
    return _survey_page(survey, form, assign, status())


@admin_bp.post("/surveys/<int:survey_id>/assign")
@login_required
@admin_required
def survey_assign(survey_id: int) -> ResponseReturnValue:
    survey = db.session.get(Survey, survey_id) or abort(404)
    assign = SurveyAssignForm()
    assign.locations.choices = _assign_choices(survey)
    form = SurveyForm(formdata=None, data=_current(survey))
    if assign.validate_on_submit():
        changed = []
        if save(
            assign, lambda: changed.extend(surveys.assign_survey(db.session, actor(), survey.id, assign.locations.data))
        ):
            flash(_("%(codes)s now ask %(name)s.", codes=", ".join(loc.code for loc in changed), name=survey.name))
            return redirect(url_for("admin.survey_edit", survey_id=survey.id))
    return _survey_page(survey, form, assign, 422)
