"""What the write services share: the stored row re-read under lock, cleaned text, KEEP."""

from __future__ import annotations

from typing import Any, TypeVar

from feedback.database import DbSession
from feedback.services.errors import NotFound

Row = TypeVar("Row")


def fresh(session: DbSession, model: type[Row], object_id: int | None, what: str) -> Row:
    """The stored row, re-read (and locked for the rest of the transaction on PostgreSQL), so an
    audit entry's old values are the stored ones, not those of a snapshot read earlier."""
    obj = session.get(model, object_id, populate_existing=True, with_for_update=True) if object_id else None
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def text(value: str | None) -> str:
    return (value or "").strip()


def or_none(value: str | None) -> str | None:
    return text(value) or None


def blank(value: Any) -> bool:
    """None or whitespace only: a form field left empty."""
    return value is None or (isinstance(value, str) and not value.strip())


class _Keep:
    """The default of an optional field a caller does not send: the stored value stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
