"""A day that is not over: which offices are still in ``end``'s local date, and what an earlier
day counted after their current local hour, so a partial today is compared with the same hours
of an earlier day rather than a whole one."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services.tally import Tally, read


def cut_hours(session: DbSession, location_ids: list[int], end: date, now: datetime) -> dict[int, list[int]]:
    """``{local hour now: location ids}`` of the offices for which ``end`` is not over at ``now``:
    those in that local date (their current hour), and those still before it (-1: none of it yet)."""
    cuts: dict[int, list[int]] = {}
    if not location_ids:
        return cuts
    rows = session.execute(
        select(Location.id, Office.timezone)
        .join(Office, Office.id == Location.office_id)
        .where(Location.id.in_(location_ids))
    )
    for loc_id, tz in rows:
        local = now.astimezone(ZoneInfo(tz))
        if local.date() == end:
            cuts.setdefault(local.hour, []).append(loc_id)
        elif local.date() < end:
            cuts.setdefault(-1, []).append(loc_id)
    return cuts


def later_hours(
    session: DbSession, cuts: dict[int, list[int]], day_list: list[date], channel: str | None
) -> dict[date, Tally]:
    """Per date, what the offices whose today is partial counted after their current local hour
    (to take out of a whole earlier day, so it ends at the same hour as today)."""
    later = {day: Tally() for day in day_list}
    for hour, ids in cuts.items():
        counted = read(session, ids, [(d, d) for d in day_list], group="hour", channel=channel)
        for day, found in zip(day_list, counted, strict=True):
            for (_weekday, local_hour), tally in found.groups.items():
                if local_hour > hour:
                    later[day].add(tally)
    return later
