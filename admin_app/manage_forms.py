"""Forms of the management pages (Flask-WTF: every form carries a CSRF token).

The forms check shape (required, lengths, numbers, dates, choices); the rules live in the domain
services (``feedback.services.offices`` and its neighbours), whose errors the views attach here.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

try:  # WTForms 3.3 deprecates (value, label) tuples as choices
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover (older WTForms)
    SelectChoice = None

from feedback.models.org import WEEKDAYS
from feedback.models.users import ROLES
from feedback.scales import DRIVER_LABELS, DRIVERS, SCALES
from feedback.touchpoints import A11_V2
from feedback.touchpoints import CHANNELS as A11_CHANNELS

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
SCALE_LABELS = {
    "faces5": "Five faces (very dissatisfied ... very satisfied)",
    "faces4": "Four faces (no neutral)",
    "three": "Three faces",
    "thumbs": "Thumbs up / down",
}


def option(value, label: str):
    """One choice of a select or checkbox list."""
    return SelectChoice(value, label) if SelectChoice else (value, label)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (one per choice) instead of a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _blank_to_none(value):
    return value.strip() or None if isinstance(value, str) else value


class OfficeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired(), Length(max=64)],
        description="IANA name, e.g. America/Chicago or Pacific/Honolulu.",
    )
    hours_mon = StringField(DAY_NAMES["mon"], validators=[Length(max=200)])
    hours_tue = StringField(DAY_NAMES["tue"], validators=[Length(max=200)])
    hours_wed = StringField(DAY_NAMES["wed"], validators=[Length(max=200)])
    hours_thu = StringField(DAY_NAMES["thu"], validators=[Length(max=200)])
    hours_fri = StringField(DAY_NAMES["fri"], validators=[Length(max=200)])
    hours_sat = StringField(DAY_NAMES["sat"], validators=[Length(max=200)])
    hours_sun = StringField(DAY_NAMES["sun"], validators=[Length(max=200)])
    # Published service standards of the whole office; a location's own values win.
    csat_target = DecimalField(
        "CSAT target (%)",
        places=None,
        validators=[Optional(), NumberRange(0, 100)],
        description="The share of satisfied visitors the office aims for, 0-100; also the "
        "target of its locations that have none of their own. Leave empty for none.",
    )
    weekly_response_target = IntegerField(
        "Responses per week, per location",
        validators=[Optional(), NumberRange(1, 100_000)],
        description="How many responses a week each location aims to collect (a location may set its own). "
        "Leave empty for none.",
    )
    service_provided = StringField(
        "Service provided",
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description="As named in the A-11 Section 280 quarterly report, e.g. \u201cPassport application\u201d.",
    )
    service_provider = StringField(
        "Service provider",
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description="The High Impact Service Provider as named in Touchpoints, e.g. "
        "\u201cDepartment of State - Passport Services\u201d (A-11 collection).",
    )
    scoreboard_public = BooleanField("Publish a public scoreboard at /scores/<slug>")

    def hour_fields(self):
        return [getattr(self, f"hours_{day}") for day in WEEKDAYS]

    def hours_text(self) -> dict[str, str]:
        return {day: getattr(self, f"hours_{day}").data or "" for day in WEEKDAYS}


class LocationEditForm(FlaskForm):
    """What a manager may change; an admin's form also has ``office`` (see ``for_user``)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    active = BooleanField("Active (kiosks and the phone survey accept responses)")
    csat_target = DecimalField(
        "CSAT target (%)",
        places=None,
        validators=[Optional(), NumberRange(0, 100)],
        description="The share of satisfied visitors this counter aims for, 0-100. Leave empty for none.",
    )
    weekly_response_target = IntegerField(
        "Responses per week",
        validators=[Optional(), NumberRange(1, 100_000)],
        description="How many responses a week this counter aims to collect. Leave empty to use the office's.",
    )
    service_provided = StringField(
        "Service provided",
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description="For the A-11 Section 280 report. Leave empty to use the office's.",
    )
    a11_channel_kiosk = SelectField(
        "A-11 channel of kiosk answers",
        validate_choice=False,  # the service checks the value (one rule)
        choices=[option("", "self_service_kiosk (default)")] + [option(c, c) for c in A11_CHANNELS],
        filters=[_blank_to_none],
        description="Touchpoints' channel for this counter's kiosk answers, e.g. in_person for a staffed tablet.",
    )
    a11_channel_qr = SelectField(
        "A-11 channel of phone (QR) answers",
        validate_choice=False,  # the service checks the value (one rule)
        choices=[option("", "mobile (default)")] + [option(c, c) for c in A11_CHANNELS],
        filters=[_blank_to_none],
        description="Touchpoints' channel for the answers given on visitors' phones.",
    )
    office = SelectField("Office", coerce=int)


class LocationCreateForm(LocationEditForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=32)],
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        description="2-32 capital letters, digits and dashes, e.g. HOU-C4. It cannot change later.",
    )
    survey = SelectField("Survey", coerce=int)


class SurveyForm(FlaskForm):
    scale = SelectField("Scale", choices=[option(key, SCALE_LABELS.get(key, key)) for key in SCALES])
    question_en = StringField("Question (English)", validators=[DataRequired(), Length(max=200)])
    question_es = StringField(
        "Question (Spanish)",
        validators=[Length(max=200)],
        description="Shown to visitors who choose Español; the English text if empty.",
    )
    followup_choices = MultiCheckboxField(
        "Follow-up choices",
        choices=[option(key, f"{DRIVER_LABELS[key][0]} / {DRIVER_LABELS[key][1]}") for key in DRIVERS],
        description="Offered after the rating; none = no follow-up.",
    )
    omb_control_number = StringField(
        "OMB control number",
        validators=[Length(max=16)],
        filters=[_blank_to_none],
        description="Paperwork Reduction Act notice, e.g. 1405-0020; empty for none.",
    )
    omb_expiration = DateField("OMB expiration date", validators=[Optional()])
    burden_statement = TextAreaField("Burden statement", validators=[Length(max=2000)], filters=[_blank_to_none])
    labels_en = TextAreaField(
        "Button labels (English)",
        validators=[Length(max=400)],
        description="One per line, worst to best; empty = the standard labels of the scale.",
    )
    labels_es = TextAreaField(
        "Button labels (Spanish)",
        validators=[Length(max=400)],
        description="One per line, worst to best; empty = the standard Spanish labels.",
    )
    federal_register_url = StringField(
        "Federal Register notice",
        validators=[Length(max=500), Optional(), URL(message="A web address (https://...).")],
        filters=[_blank_to_none],
        description="Address of the information collection's Federal Register notice (A-11 Section 280 report); "
        "empty for none.",
    )
    a11_role = SelectField(
        "A-11 Section 280",
        validate_choice=False,  # the service checks the value (one rule)
        choices=[
            option("", "Not an A-11 survey: its answers are left out of the A-11 files"),
            option(A11_V2, "A-11 v2 trust survey: its answers are reported to OMB through Touchpoints"),
        ],
        filters=[_blank_to_none],
        description="An A-11 survey asks the trust question (\u201cI trust [agency] to \u2026\u201d) on thumbs up/down "
        "or five faces and offers at least effectiveness, ease and efficiency as follow-up; a 4- or 3-point "
        "scale cannot be reported as A-11 question 1.",
    )

    def fields_data(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "scale",
                "question_en",
                "question_es",
                "followup_choices",
                "omb_control_number",
                "omb_expiration",
                "burden_statement",
                "labels_en",
                "labels_es",
                "federal_register_url",
                "a11_role",
            )
        }


class A11TemplateForm(FlaskForm):
    """Fills a new survey's form from the A-11 v2 template (a GET: nothing is saved yet)."""

    class Meta:
        csrf = False

    agency = StringField(
        "Agency name",
        validators=[Length(max=120)],
        description="As visitors know it, e.g. \u201cthe Department of State\u201d: it goes into the trust question.",
    )
    scale = SelectField(
        "Scale", choices=[option("thumbs", SCALE_LABELS["thumbs"]), option("faces5", SCALE_LABELS["faces5"])]
    )


class SurveyCreateForm(SurveyForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=120)],
        description="For the admin site only; visitors never see it.",
    )


class SurveyAssignForm(FlaskForm):
    locations = MultiCheckboxField("Locations", coerce=int)


class EnrolForm(FlaskForm):
    location = SelectField(
        "Location", coerce=int, validate_choice=False, validators=[DataRequired("Choose a location.")]
    )
    label = StringField(
        "Label",
        validators=[Length(max=120)],
        description="A name staff recognise, e.g. \u201ctablet by window 3\u201d.",
    )


class UserScopeForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[option(r, r.capitalize()) for r in ROLES],
        description="Admins see and manage everything; managers see their offices and locations.",
    )
    offices = MultiCheckboxField("Offices (every location in them)", coerce=int)
    locations = MultiCheckboxField("Single locations", coerce=int)


class UserCreateForm(UserScopeForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=10, max=200)],
        description="At least 10 characters. Tell it to the user; they can change it.",
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=120)],
        description="What the token is for, e.g. \u201cquarterly report script\u201d.",
    )
