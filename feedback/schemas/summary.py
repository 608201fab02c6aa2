"""Query parameters of the read API: the summary and the raw responses list."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from feedback.models.responses import CHANNELS
from feedback.services.aggregation import GROUPS

MAX_RANGE_DAYS = 3 * 366


class ScopedRangeSchema(Schema):
    """Locations (by code) and an inclusive range of local dates."""

    location = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=list,
        metadata={"description": "Location code; repeat for several. Default: every location in scope."},
    )
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "First local date, YYYY-MM-DD."})
    to = fields.Date(required=True, metadata={"description": "Last local date (inclusive), YYYY-MM-DD."})
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))

    @validates_schema
    def _range(self, data, **_kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("Must not be before 'from'.", "to")
        if (data["to"] - data["from_"]).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"A range covers at most {MAX_RANGE_DAYS} days.", "to")


class SummaryQuerySchema(ScopedRangeSchema):
    group = fields.String(
        load_default=None,
        validate=validate.OneOf(GROUPS),
        metadata={"description": "hour = hour of day x weekday, in the office's local time."},
    )
    include_suspect = fields.Boolean(load_default=False)


class ResponsesQuerySchema(ScopedRangeSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "next_cursor of the previous page."},
    )
