"""Scores for a set of locations over a range of local dates, as the read API and the CSV
exports give them (:func:`summarize`): the rollup reader's tallies (``feedback.services.tally``)
in their JSON form."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location
from feedback.services.tally import GROUPS, Tally, bucket_key, read_one

__all__ = ["GROUPS", "WEEKDAY_NAMES", "bucket_key", "summarize"]

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def summarize(
    session: DbSession,
    location_ids: list[int],
    start: date,
    end: date,
    *,
    channel: str | None = None,
    group: str | None = None,
    include_suspect: bool = False,
    followups: bool = True,
) -> dict[str, Any]:
    """Count, CSAT, mean, distribution and suspects for ``start..end`` (local dates, inclusive).

    ``followups=False`` leaves the follow-up counts out (``"followups": None``): a second rollup
    scan, as long as the first, that callers showing no follow-ups need not pay for.
    """
    if group not in (None, *GROUPS):
        raise ValueError(f"unknown group {group!r}")
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(location_ids))).all())
    counted = read_one(
        session,
        location_ids,
        start,
        end,
        group=group,
        channel=channel,
        include_suspect=include_suspect,
        followups=followups,
    )
    result: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "channel": channel,
        "include_suspect": include_suspect,
        "locations": sorted(codes.values()),
        "total": counted.total.as_dict(),
        "followups": counted.total.ranked_followups() if followups else None,
    }
    if group:
        result["group"] = group
        entries = [_group_entry(group, key, tally, codes) for key, tally in counted.groups.items()]
        result["groups"] = sorted(entries, key=lambda e: e.pop("_sort"))
    return result


def _group_entry(group: str, key: Any, tally: Tally, codes: dict[int, str]) -> dict[str, Any]:
    entry: dict[str, Any]
    if group == "hour":
        weekday, hour = key
        entry = {"key": f"{WEEKDAY_NAMES[weekday]}-{hour:02d}", "weekday": weekday, "hour": hour, "_sort": key}
    elif group == "location":
        entry = {"key": codes[key], "_sort": codes[key]}
    elif group == "day":
        entry = {"key": key.isoformat(), "_sort": key}
    else:
        entry = {"key": key, "_sort": key}
    entry.update(tally.as_dict())
    return entry
