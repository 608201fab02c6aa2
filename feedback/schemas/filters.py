"""Date ranges, filters and page cursors read from the URL, shared by every view that takes them
(dashboards, exports, the comment inbox, the read API, the audit log and the alert list)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from feedback.models.responses import CHANNELS
from feedback.schemas.fields import Date, Id

MAX_DAYS = 3 * 366


class DateRangeSchema(Schema):
    """``from``/``to``: local dates, inclusive, within 1900-2999, at most MAX_DAYS apart; either may
    be left out (subclasses that need both make them required)."""

    class Meta:
        unknown = EXCLUDE  # other view-specific parameters (sort, group, q ...)

    from_ = Date(load_default=None, data_key="from")
    to = Date(load_default=None)

    @validates_schema
    def _range(self, data, **_kwargs):
        start, end = data.get("from_"), data.get("to")
        if start and end:
            if end < start:
                raise ValidationError("Must not be before 'from'.", "to")
            if (end - start).days >= MAX_DAYS:
                raise ValidationError(f"A range covers at most {MAX_DAYS} days.", "to")


class FilterSchema(DateRangeSchema):
    """``from``/``to`` (local dates, inclusive), ``office`` (slug), ``location`` (codes), ``channel``."""

    office = fields.String(load_default=None, validate=validate.Length(max=64))
    location = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))


class OlderPageSchema(Schema):
    """``before``: the id a newest-first list (audit log, alerts) continues below."""

    class Meta:
        unknown = EXCLUDE

    before = Id(load_default=None)
