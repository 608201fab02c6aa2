"""Fields for values whose range the code relies on: dates, instants, ids and page cursors.

Python's dates run from year 1 to 9999, and the services do arithmetic on them (the day after a
range, the Monday of its first week, a repeat-tap window around a tap, a local midnight in UTC),
which overflows near either end. Every schema that takes such a value uses these fields, so values
are kept to years 1900-2999 (the fiscal years reporting accepts, too) at the door, once, and no
computation downstream can fail on them. Integer ids and cursors stay within the 32-bit columns
they are compared with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from marshmallow import ValidationError, fields, validate

from feedback.services.errors import InvalidInput
from feedback.services.responses_query import decode_cursor

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
EARLIEST_INSTANT = datetime.combine(EARLIEST, time(0), UTC)
LATEST_INSTANT = datetime.combine(LATEST, time.max, UTC)
OUT_OF_RANGE = f"Must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
# Integer columns are 32-bit on PostgreSQL; larger values would fail in the database, not here.
MAX_INT32 = 2**31 - 1


def in_range(moment: datetime) -> bool:
    """Whether an aware instant lies within the years the service handles."""
    try:
        return EARLIEST_INSTANT <= moment.astimezone(UTC) <= LATEST_INSTANT
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 has no UTC form
        return False


class Date(fields.Date):
    """A ``YYYY-MM-DD`` date within 1900-01-01 .. 2999-12-31."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(OUT_OF_RANGE)
        return day


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 instant with an offset, within 1900-01-01 .. 2999-12-31 in UTC."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not in_range(moment):
            raise ValidationError(OUT_OF_RANGE)
        return moment


def Id(**kwargs) -> fields.Integer:
    """A positive 32-bit row id (``before`` of a newest-first page, for one)."""
    return fields.Integer(strict=False, validate=validate.Range(1, MAX_INT32), **kwargs)


class Cursor(fields.String):
    """A keyset cursor (``next_cursor`` of a previous page): refused here unless it decodes to an
    instant within range and an id, so the services only ever see cursors they can use."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 100:
            raise ValidationError("Use the next_cursor of a previous page.")
        try:
            moment, _id = decode_cursor(text)
        except InvalidInput:
            moment = None
        if moment is None or not in_range(moment):
            raise ValidationError("Use the next_cursor of a previous page.")
        return text
