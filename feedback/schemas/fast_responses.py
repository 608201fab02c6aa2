"""A fast path in front of ``ResponseInSchema`` for the kiosk's batches (issue 14).

Loading 500 nested items through marshmallow cost a batch about a third of its time. Almost
every item a kiosk sends is plainly valid, so :func:`load_item` checks the plain case directly
and returns exactly what ``ResponseInSchema().load`` returns for it; anything it is not sure of
(a missing or unknown key, another type, a value off its range) returns None, and the whole body
is then loaded by marshmallow, which words the errors as before. So the fast path can only ever
accept a subset of what the schema accepts, with the same result (tests/api/test_fast_load.py
checks both against generated bodies).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import Schema

from feedback.i18n import LANGUAGES
from feedback.scales import DRIVERS, MAX_POINTS
from feedback.schemas.fields import MAX_INT32, in_range

_REQUIRED = frozenset({"id", "rating", "language", "client_time"})
_ALLOWED = _REQUIRED | {"survey_version", "followup_offered", "followup_chosen"}
_LANGUAGES = frozenset(LANGUAGES)
_DRIVERS = frozenset(DRIVERS)


def load_item(raw: Any) -> dict[str, Any] | None:
    """``ResponseInSchema().load(raw)`` for a plainly valid item, else None (let marshmallow say why)."""
    if type(raw) is not dict:
        return None
    keys = raw.keys()
    if not (keys >= _REQUIRED and keys <= _ALLOWED):
        return None
    rid, rating, language, when = raw["id"], raw["rating"], raw["language"], raw["client_time"]
    if type(rid) is not str or type(rating) is not int or type(language) is not str or type(when) is not str:
        return None
    if not 1 <= rating <= MAX_POINTS or language not in _LANGUAGES:
        return None
    try:
        parsed_id = uuid.UUID(rid)
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None or not in_range(moment):
        return None
    version = raw.get("survey_version")
    if version is not None and not (type(version) is int and 1 <= version <= MAX_INT32):
        return None
    offered, chosen = _choices(raw, "followup_offered"), _choices(raw, "followup_chosen")
    if offered is None or chosen is None:
        return None
    return {
        "id": parsed_id,
        "rating": rating,
        "language": language,
        "client_time": moment,
        "survey_version": version,
        "followup_offered": offered,
        "followup_chosen": chosen,
    }


def _choices(raw: dict[str, Any], key: str) -> list[str] | None:
    if key not in raw:
        return []
    value = raw[key]
    if type(value) is not list or len(value) > len(DRIVERS):
        return None
    if not all(type(choice) is str and choice in _DRIVERS for choice in value):
        return None
    return list(value)


class FastBatchLoader:
    """Loads a batch body like ``BatchInSchema``: every item through :func:`load_item`, or, if
    any item or the envelope is not plainly valid, the whole body through the schema."""

    def __init__(self, schema: Schema):
        self.schema = schema

    def load(self, data: Any) -> Any:
        if type(data) is dict and data.keys() == {"responses"}:
            items = data["responses"]
            if type(items) is list and items:
                loaded = [load_item(item) for item in items]
                if None not in loaded:
                    return {"responses": loaded}
        return self.schema.load(data)


class FastItemLoader:
    """Loads one tap like ``ResponseInSchema``, through :func:`load_item` when it can."""

    def __init__(self, schema: Schema):
        self.schema = schema

    def load(self, data: Any) -> Any:
        loaded = load_item(data)
        return loaded if loaded is not None else self.schema.load(data)
