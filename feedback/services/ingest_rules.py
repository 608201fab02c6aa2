"""What makes a batch of responses valid: ids not repeated with other bodies, a survey version of
the location's survey, a rating on its scale, follow-ups it offers, a plausible client time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location, SurveyVersion
from feedback.services import tap_cache
from feedback.services.errors import InvalidInput
from feedback.services.tap_cache import TapLocation, VersionRef

Item = dict[str, Any]  # one response as ResponseInSchema loads it
Errors = dict[Any, Any]  # messages by field, or by item index then field


@dataclass(frozen=True)
class IngestPolicy:
    suspect_window: timedelta = timedelta(seconds=2)
    max_future: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=90)
    cache_seconds: float = 0.0  # how old a cached survey version may be (tap_cache); 0: read it

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IngestPolicy:
        return cls(
            suspect_window=timedelta(seconds=config["SUSPECT_WINDOW_SECONDS"]),
            max_future=timedelta(seconds=config["CLIENT_TIME_MAX_FUTURE_SECONDS"]),
            max_age=timedelta(days=config["CLIENT_TIME_MAX_AGE_DAYS"]),
            cache_seconds=config.get("AUTH_CACHE_SECONDS", 0.0),
        )


DEFAULT_POLICY = IngestPolicy()


def add_error(batch: bool, index: int, field: str, message: str, into: Errors) -> None:
    target = into.setdefault(index, {}) if batch else into
    target.setdefault(field, []).append(message)


def check_repeats_within(items: list[Item], hashes: list[str], batch: bool) -> dict[int, int]:
    """Map each repeated index to the first index with its id; refuse repeats that differ."""
    seen: dict[uuid.UUID, int] = {}
    first_index: dict[int, int] = {}
    errors: Errors = {}
    for i, item in enumerate(items):
        j = seen.setdefault(item["id"], i)
        if j != i:
            if hashes[j] != hashes[i]:
                add_error(batch, i, "id", f"Repeats the id of item {j} with a different body.", errors)
            first_index[i] = j
    if errors:
        raise InvalidInput("The batch repeats an id with different bodies.", errors)
    return first_index


def resolve_versions(
    session: DbSession,
    location: Location | TapLocation,
    items: list[Item],
    batch: bool,
    skip: frozenset[int] | set[int] = frozenset(),
    *,
    max_age: float = 0.0,
) -> list[VersionRef | None]:
    """The survey version each item answered: the one it names, or the location's current one.

    Items whose index is in ``skip`` (replays of stored responses) get None. Versions read less
    than ``max_age`` seconds ago in this process are answered from ``tap_cache``.
    """
    cache = tap_cache.of(session)
    wanted = {
        item["survey_version"]
        for i, item in enumerate(items)
        if i not in skip and item.get("survey_version") is not None
    }
    found: dict[int, VersionRef] = {}
    for vid in wanted:
        hit = cache.get(("version", vid), max_age)
        if hit is not None:
            found[vid] = hit
    missing = wanted - found.keys()
    if missing:
        read_at = time.monotonic()
        for version in session.scalars(select(SurveyVersion).where(SurveyVersion.id.in_(missing))):
            found[version.id] = VersionRef.of(version)
            cache.put(("version", version.id), found[version.id], read_at, max_age)
    needs_current = any(i not in skip and item.get("survey_version") is None for i, item in enumerate(items))
    current = _current_version(session, cache, location.survey_id, max_age) if needs_current else None
    errors: Errors = {}
    resolved: list[VersionRef | None] = []
    for i, item in enumerate(items):
        vid = item.get("survey_version")
        if i in skip:
            resolved.append(None)
        elif vid is None:
            resolved.append(current)
        elif vid in found and found[vid].survey_id == location.survey_id:
            resolved.append(found[vid])
        else:
            add_error(batch, i, "survey_version", "Not a version of this location's survey.", errors)
            resolved.append(None)
    if errors:
        raise InvalidInput("The response names an unknown survey version.", errors)
    return resolved


def _current_version(session: DbSession, cache: tap_cache.TtlCache, survey_id: int, max_age: float) -> VersionRef:
    """The survey's newest version; a survey edit makes a new one, so a cached answer lags it
    by ``max_age`` at most on other nodes (none on this one: the commit clears the cache)."""
    hit = cache.get(("current", survey_id), max_age)
    if hit is not None:
        return cast(VersionRef, hit)
    read_at = time.monotonic()
    current = VersionRef.of(SurveyVersion.current_for(session, survey_id))
    cache.put(("current", survey_id), current, read_at, max_age)
    cache.put(("version", current.id), current, read_at, max_age)
    return current


def check_rules(
    items: list[Item],
    versions: list[VersionRef | None],
    now: datetime,
    policy: IngestPolicy,
    batch: bool,
    skip: frozenset[int] | set[int] = frozenset(),
) -> None:
    errors: Errors = {}
    for i, (item, version) in enumerate(zip(items, versions, strict=True)):
        if i in skip or version is None:
            continue
        scale = version.scale_def
        if not scale.valid(item["rating"]):
            add_error(batch, i, "rating", f"Must be between 1 and {scale.points} for this survey's scale.", errors)
        allowed = set(version.followup_choices or ())
        offered = item.get("followup_offered") or []
        chosen = item.get("followup_chosen") or []
        for choice in offered:
            if choice not in allowed:
                add_error(batch, i, "followup_offered", f"{choice!r} is not a follow-up choice of this survey.", errors)
        for field, values in (("followup_offered", offered), ("followup_chosen", chosen)):
            if len(set(values)) != len(values):
                add_error(batch, i, field, "Choices must not repeat.", errors)
        for choice in chosen:
            if choice not in offered:
                add_error(batch, i, "followup_chosen", f"{choice!r} was not offered.", errors)
        if item["client_time"] > now + policy.max_future:
            add_error(batch, i, "client_time", "Is in the future; check the device clock.", errors)
        elif item["client_time"] < now - policy.max_age:
            add_error(batch, i, "client_time", f"Is older than {policy.max_age.days} days.", errors)
    if errors:
        raise InvalidInput("The response breaks the survey's rules.", errors)
