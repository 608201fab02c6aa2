"""The phone survey's form (a plain HTML form, or the same fields sent by its script)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from feedback.i18n import LANGUAGES
from feedback.scales import DRIVERS, MAX_POINTS


class PhoneAnswerSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token, and anything a bot adds

    id = fields.UUID(required=True)
    # "rate": a rating button of the first page (no script); "send" or "skip" the details.
    step = fields.String(load_default="rate", validate=validate.OneOf(("rate", "send", "skip")))
    rating = fields.Integer(required=True, validate=validate.Range(1, MAX_POINTS))
    survey_version = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1))
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
    choice = fields.List(
        fields.String(validate=validate.OneOf(DRIVERS)), load_default=list, validate=validate.Length(max=len(DRIVERS))
    )
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))
    website = fields.String(load_default="")  # honeypot: people never see it, bots fill it
