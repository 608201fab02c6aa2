"""The comment inbox's URL: tab, filters and page, so every view can be shared and bookmarked."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from feedback.schemas.filters import MAX_DAYS
from feedback.services.comments import SEARCH_MAX, TABS


class InboxQuerySchema(Schema):
    """``tab``, ``location`` (code), ``office`` (slug), ``q``, ``from``/``to`` (local dates, either
    may be left out), ``after`` (the keyset cursor of the next page)."""

    class Meta:
        unknown = EXCLUDE

    tab = fields.String(load_default="open", validate=validate.OneOf(TABS))
    location = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=SEARCH_MAX))
    from_ = fields.Date(load_default=None, data_key="from")
    to = fields.Date(load_default=None)
    after = fields.String(load_default=None, validate=validate.Length(max=64))

    @validates_schema
    def _range(self, data, **_kwargs):
        if data["from_"] and data["to"]:
            if data["to"] < data["from_"]:
                raise ValidationError("Must not be before 'from'.", "to")
            if (data["to"] - data["from_"]).days >= MAX_DAYS:
                raise ValidationError(f"A range covers at most {MAX_DAYS} days.", "to")
