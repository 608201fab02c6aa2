"""The comment inbox's URL: tab, filters and page, so every view can be shared and bookmarked."""

from __future__ import annotations

from marshmallow import fields, pre_load, validate

from feedback.scales import DRIVERS
from feedback.schemas.fields import Cursor
from feedback.schemas.filters import DateRangeSchema
from feedback.services.comments import SEARCH_MAX, TABS
from feedback.services.triage import ORDERS, SIDES


class BlankIsUnset(DateRangeSchema):
    """A filter form sends its empty fields (``location=&from=``): an empty value means "not set"."""

    @pre_load
    def _drop_blanks(self, data, **_kwargs):
        return {key: value for key, value in data.items() if value != ""}


class InboxCursor(Cursor):
    """The inbox's cursor; a negative-first page's has the side of its last row in front (``0~``)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        side, sep, rest = value.partition("~") if isinstance(value, str) else ("", "", "")
        if sep and side in ("0", "1"):
            return f"{side}~{super()._deserialize(rest, attr, data, **kwargs)}"
        return super()._deserialize(value, attr, data, **kwargs)


class InboxQuerySchema(BlankIsUnset):
    """``tab``, ``location`` (code), ``office`` (slug), ``q``, ``from``/``to`` (local dates, either
    may be left out), ``after`` (the keyset cursor of the next page); the triage filters ``side``
    (negative or positive ratings), ``assignee`` (``me``, ``none`` or a user id) and ``driver``
    (an A-11 follow-up driver the visitor chose); ``order`` (``newest`` or ``negative`` first)."""

    tab = fields.String(load_default="open", validate=validate.OneOf(TABS))
    location = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=SEARCH_MAX))
    after = InboxCursor(load_default=None)
    side = fields.String(load_default=None, validate=validate.OneOf(SIDES))
    assignee = fields.String(load_default=None, validate=validate.Regexp(r"^(me|none|[1-9][0-9]{0,8})$"))
    driver = fields.String(load_default=None, validate=validate.OneOf(DRIVERS))
    order = fields.String(load_default="newest", validate=validate.OneOf(ORDERS))


class TopicsQuerySchema(BlankIsUnset):
    """The topics page: ``location`` (code) and ``from``/``to``."""

    location = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
