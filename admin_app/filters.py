"""Turn the URL's filter parameters into a scoped, validated selection for a view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import abort, request
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Location, Office
from feedback.schemas.filters import FilterSchema, OlderPageSchema
from feedback.services import users


@dataclass
class Selection:
    start: date
    end: date
    channel: str | None
    office: Office | None
    location_ids: list[int]
    locations: list[Location] = field(default_factory=list)
    args: dict = field(default_factory=dict)  # the filter as URL parameters, to build links that keep it

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def load_query(schema: Schema, args=None) -> dict:
    """The URL's parameters loaded with ``schema`` (default: the whole query string); 400 when malformed."""
    try:
        return schema.load(request.args if args is None else args)
    except ValidationError as exc:
        abort(400, description=f"Invalid filter: {exc.messages}")


def older_than() -> int | None:
    """``before`` of a newest-first list (audit log, alerts): a row id, or None for the first page."""
    return load_query(OlderPageSchema())["before"]


def selection(default_days: int = 30) -> Selection:
    """The filter of this request, limited to the signed-in user's scope.

    A location or office outside the scope answers 404, exactly like an unknown one.
    Without dates: the last ``default_days`` days up to today (UTC date; each
    location's data is bucketed by its own local date).
    """
    raw: dict[str, str | list[str]] = {
        key: request.args.get(key, "") for key in ("from", "to", "office", "channel") if request.args.get(key)
    }
    raw["location"] = request.args.getlist("location")
    data = load_query(FilterSchema(), raw)
    scope = users.scope_location_ids(db.session, current_user)
    office = None
    if data["office"]:
        office = db.session.scalar(select(Office).where(Office.slug == data["office"]))
        office_ids = (
            set(db.session.scalars(select(Location.id).where(Location.office_id == office.id))) if office else set()
        )
        if office is None or not office_ids & scope:
            abort(404)
        scope &= office_ids
    if data["location"]:
        codes = {c.strip().upper() for c in data["location"]}
        found = dict(db.session.execute(select(Location.code, Location.id).where(Location.code.in_(codes))).all())
        if any(found.get(code) not in scope for code in codes):
            abort(404)
        scope = set(found.values())
    today = datetime.now(UTC).date()
    end = data["to"] or today
    start = data["from_"] or end - timedelta(days=default_days - 1)
    locations = list(db.session.scalars(select(Location).where(Location.id.in_(scope)).order_by(Location.code)))
    args = {
        k: v
        for k, v in {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "office": data["office"],
            "channel": data["channel"],
        }.items()
        if v
    }
    if data["location"]:
        args["location"] = sorted({c.strip().upper() for c in data["location"]})
    return Selection(start, end, data["channel"], office, sorted(scope), locations, args)
