"""Dashboard and export filters, read from the URL so every view can be shared and bookmarked."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from feedback.models.responses import CHANNELS

MAX_DAYS = 3 * 366


class DateRangeSchema(Schema):
    """``from``/``to``: local dates, inclusive, either may be left out; at most MAX_DAYS apart."""

    class Meta:
        unknown = EXCLUDE  # other view-specific parameters (sort, group, q ...)

    from_ = fields.Date(load_default=None, data_key="from")
    to = fields.Date(load_default=None)

    @validates_schema
    def _range(self, data, **_kwargs):
        if data["from_"] and data["to"]:
            if data["to"] < data["from_"]:
                raise ValidationError("Must not be before 'from'.", "to")
            if (data["to"] - data["from_"]).days >= MAX_DAYS:
                raise ValidationError(f"A range covers at most {MAX_DAYS} days.", "to")


class FilterSchema(DateRangeSchema):
    """``from``/``to`` (local dates, inclusive), ``office`` (slug), ``location`` (codes), ``channel``."""

    office = fields.String(load_default=None, validate=validate.Length(max=64))
    location = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
