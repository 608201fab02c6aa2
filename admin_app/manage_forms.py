"""Forms of the management pages (Flask-WTF: every form carries a CSRF token).

The forms check shape (required, lengths, numbers, dates, choices); the rules live in the domain
services (``feedback.services.offices`` and its neighbours), whose errors the views attach here.
"""

from __future__ import annotations

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
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

from feedback.i18n import LANGUAGE_NAMES, LANGUAGES
from feedback.models.org import WEEKDAYS
from feedback.models.users import ROLES
from feedback.scales import DRIVER_LABELS, DRIVERS, SCALES
from feedback.services.surveys import MORE_LANGUAGES
from feedback.touchpoints import A11_V2
from feedback.touchpoints import CHANNELS as A11_CHANNELS

DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")),
        strict=True,
    )
)
SCALE_LABELS = {
    "faces5": _l("Five faces (very dissatisfied ... very satisfied)"),
    "faces4": _l("Four faces (no neutral)"),
    "three": _l("Three faces"),
    "thumbs": _l("Thumbs up / down"),
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
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("IANA name, e.g. America/Chicago or Pacific/Honolulu."),
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
        _l("CSAT target (%)"),
        places=None,
        validators=[Optional(), NumberRange(0, 100)],
        description=_l(
            "The share of satisfied visitors the office aims for, 0-100; also the "
            "target of its locations that have none of their own. Leave empty for none."
        ),
    )
    weekly_response_target = IntegerField(
        _l("Responses per week, per location"),
        validators=[Optional(), NumberRange(1, 100_000)],
        description=_l(
            "How many responses a week each location aims to collect (a location may set its own). "
            "Leave empty for none."
        ),
    )
    service_provided = StringField(
        _l("Service provided"),
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description=_l("As named in the A-11 Section 280 quarterly report, e.g. \u201cPassport application\u201d."),
    )
    service_provider = StringField(
        _l("Service provider"),
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description=_l(
            "The High Impact Service Provider as named in Touchpoints, e.g. "
            "\u201cDepartment of State - Passport Services\u201d (A-11 collection)."
        ),
    )
    scoreboard_public = BooleanField(_l("Publish a public scoreboard at /scores/&lt;slug&gt;"))  # lazy labels are HTML
    # Set by the page that shows the languages: a post without it (a script's) keeps them as stored.
    visitor_languages_shown = HiddenField(render_kw={"value": "1"})
    visitor_languages = MultiCheckboxField(
        _l("Visitor languages"),
        choices=[option(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        description=_l(
            "Offered on the kiosks and phones of this office; English always. A language is only offered "
            "where the location's survey has a question in it."
        ),
    )

    def hour_fields(self):
        return [getattr(self, f"hours_{day}") for day in WEEKDAYS]

    def hours_text(self) -> dict[str, str]:
        return {day: getattr(self, f"hours_{day}").data or "" for day in WEEKDAYS}


class LocationEditForm(FlaskForm):
    """What a manager may change; an admin's form also has ``office`` (see ``for_user``)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("Active (kiosks and the phone survey accept responses)"))
    csat_target = DecimalField(
        _l("CSAT target (%)"),
        places=None,
        validators=[Optional(), NumberRange(0, 100)],
        description=_l("The share of satisfied visitors this counter aims for, 0-100. Leave empty for none."),
    )
    weekly_response_target = IntegerField(
        _l("Responses per week"),
        validators=[Optional(), NumberRange(1, 100_000)],
        description=_l("How many responses a week this counter aims to collect. Leave empty to use the office's."),
    )
    service_provided = StringField(
        _l("Service provided"),
        validators=[Length(max=200)],
        filters=[_blank_to_none],
        description=_l("For the A-11 Section 280 report. Leave empty to use the office's."),
    )
    a11_channel_kiosk = SelectField(
        _l("A-11 channel of kiosk answers"),
        validate_choice=False,  # the service checks the value (one rule)
        choices=[option("", _l("self_service_kiosk (default)"))] + [option(c, c) for c in A11_CHANNELS],
        filters=[_blank_to_none],
        description=_l("Touchpoints' channel for this counter's kiosk answers, e.g. in_person for a staffed tablet."),
    )
    a11_channel_qr = SelectField(
        _l("A-11 channel of phone (QR) answers"),
        validate_choice=False,  # the service checks the value (one rule)
        choices=[option("", _l("mobile (default)"))] + [option(c, c) for c in A11_CHANNELS],
        filters=[_blank_to_none],
        description=_l("Touchpoints' channel for the answers given on visitors' phones."),
    )
    office = SelectField(_l("Office"), coerce=int)


class LocationCreateForm(LocationEditForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        description=_l("2-32 capital letters, digits and dashes, e.g. HOU-C4. It cannot change later."),
    )
    survey = SelectField(_l("Survey"), coerce=int)


class SurveyForm(FlaskForm):
    scale = SelectField(_l("Scale"), choices=[option(key, SCALE_LABELS.get(key, key)) for key in SCALES])
    question_en = StringField(_l("Question (English)"), validators=[DataRequired(), Length(max=200)])
    question_es = StringField(
        _l("Question (Spanish)"),
        validators=[Length(max=200)],
        description=_l("Shown to visitors who choose Español; the English text if empty."),
    )
    followup_choices = MultiCheckboxField(
        _l("Follow-up choices"),
        choices=[
            option(key, LazyString(lambda k: f"{gettext(DRIVER_LABELS[k][0])} / {gettext(DRIVER_LABELS[k][1])}", key))
            for key in DRIVERS
        ],
        description=_l("Offered after the rating; none = no follow-up."),
    )
    omb_control_number = StringField(
        _l("OMB control number"),
        validators=[Length(max=16)],
        filters=[_blank_to_none],
        description=_l("Paperwork Reduction Act notice, e.g. 1405-0020; empty for none."),
    )
    omb_expiration = DateField(_l("OMB expiration date"), validators=[Optional()])
    burden_statement = TextAreaField(_l("Burden statement"), validators=[Length(max=2000)], filters=[_blank_to_none])
    labels_en = TextAreaField(
        _l("Button labels (English)"),
        validators=[Length(max=400)],
        description=_l("One per line, worst to best; empty = the standard labels of the scale."),
    )
    labels_es = TextAreaField(
        _l("Button labels (Spanish)"),
        validators=[Length(max=400)],
        description=_l("One per line, worst to best; empty = the standard Spanish labels."),
    )
    federal_register_url = StringField(
        _l("Federal Register notice"),
        validators=[Length(max=500), Optional(), URL(message=_l("A web address (https://...)."))],
        filters=[_blank_to_none],
        description=_l(
            "Address of the information collection's Federal Register notice (A-11 Section 280 report); empty for none."
        ),
    )
    a11_role = SelectField(
        _l("A-11 Section 280"),
        validate_choice=False,  # the service checks the value (one rule)
        choices=[
            option("", _l("Not an A-11 survey: its answers are left out of the A-11 files")),
            option(A11_V2, _l("A-11 v2 trust survey: its answers are reported to OMB through Touchpoints")),
        ],
        filters=[_blank_to_none],
        description=_l(
            "An A-11 survey asks the trust question (\u201cI trust [agency] to \u2026\u201d) on thumbs up/down "
            "or five faces and offers at least effectiveness, ease and efficiency as follow-up; a 4- or 3-point "
            "scale cannot be reported as A-11 question 1."
        ),
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
                *(f"{kind}_{code}" for code in MORE_LANGUAGES for kind in ("question", "labels")),
            )
        }


# The survey's texts in the other visitor languages (feedback.services.surveys.MORE_LANGUAGES).
for _code in MORE_LANGUAGES:
    _name = LANGUAGE_NAMES[_code]
    setattr(
        SurveyForm,
        f"question_{_code}",
        StringField(
            LazyString(lambda name: gettext("Question (%(language)s)", language=name), _name),
            validators=[Length(max=200)],
            description=_l("Empty: the survey is not offered in this language."),
        ),
    )
    setattr(
        SurveyForm,
        f"labels_{_code}",
        TextAreaField(
            LazyString(lambda name: gettext("Button labels (%(language)s)", language=name), _name),
            validators=[Length(max=400)],
            description=_l("One per line, worst to best; empty = the standard labels in this language."),
        ),
    )


class A11TemplateForm(FlaskForm):
    """Fills a new survey's form from the A-11 v2 template (a GET: nothing is saved yet)."""

    class Meta:
        csrf = False

    agency = StringField(
        _l("Agency name"),
        validators=[Length(max=120)],
        description=_l(
            "As visitors know it, e.g. \u201cthe Department of State\u201d: it goes into the trust question."
        ),
    )
    scale = SelectField(
        _l("Scale"), choices=[option("thumbs", SCALE_LABELS["thumbs"]), option("faces5", SCALE_LABELS["faces5"])]
    )


class SurveyCreateForm(SurveyForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("For the admin site only; visitors never see it."),
    )


class SurveyAssignForm(FlaskForm):
    locations = MultiCheckboxField(_l("Locations"), coerce=int)


class EnrolForm(FlaskForm):
    location = SelectField(
        _l("Location"), coerce=int, validate_choice=False, validators=[DataRequired(_l("Choose a location."))]
    )
    label = StringField(
        _l("Label"),
        validators=[Length(max=120)],
        description=_l("A name staff recognise, e.g. \u201ctablet by window 3\u201d."),
    )


class UserScopeForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[option(r, {"admin": _l("Admin"), "manager": _l("Manager")}.get(r, r.capitalize())) for r in ROLES],
        description=_l("Admins see and manage everything; managers see their offices and locations."),
    )
    offices = MultiCheckboxField(_l("Offices (every location in them)"), coerce=int)
    locations = MultiCheckboxField(_l("Single locations"), coerce=int)


class UserCreateForm(UserScopeForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=10, max=200)],
        description=_l("At least 10 characters. Tell it to the user; they can change it."),
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("What the token is for, e.g. \u201cquarterly report script\u201d."),
    )


class SsoGroupForm(FlaskForm):
    group_name = StringField(
        _l("Group"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Exactly as your identity provider sends it in the groups claim."),
    )
    role = SelectField(
        _l("Role"),
        choices=[option(r, {"admin": _l("Admin"), "manager": _l("Manager")}.get(r, r.capitalize())) for r in ROLES],
    )
    offices = MultiCheckboxField(_l("Offices (for managers)"), coerce=int)
