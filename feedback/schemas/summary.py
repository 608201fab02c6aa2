"""Query parameters of the read API: the summary and the raw responses list."""

from __future__ import annotations

from marshmallow import RAISE, fields, validate

from feedback.models.responses import CHANNELS
from feedback.schemas.fields import Cursor, Date
from feedback.schemas.filters import DateRangeSchema
from feedback.services.aggregation import GROUPS


class ScopedRangeSchema(DateRangeSchema):
    """Locations (by code) and an inclusive range of local dates (both required)."""

    class Meta:
        unknown = RAISE  # a misspelt parameter is an error in the API, not silently ignored

    location = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=list,
        metadata={"description": "Location code; repeat for several. Default: every location in scope."},
    )
    from_ = Date(required=True, data_key="from", metadata={"description": "First local date, YYYY-MM-DD (1900-2999)."})
    to = Date(required=True, metadata={"description": "Last local date (inclusive), YYYY-MM-DD (1900-2999)."})
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))


class SummaryQuerySchema(ScopedRangeSchema):
    group = fields.String(
        load_default=None,
        validate=validate.OneOf(GROUPS),
        metadata={"description": "hour = hour of day x weekday, in the office's local time."},
    )
    include_suspect = fields.Boolean(load_default=False)


class ResponsesQuerySchema(ScopedRangeSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after = Cursor(load_default=None, metadata={"description": "next_cursor of the previous page."})
