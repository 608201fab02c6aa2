"""What the metrics read of the database at scrape time: each kiosk's state and reported queue,
and the office of every location (responses are counted by location id, shown by office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import Device, Location, Office
from feedback.services.kiosks import is_silent

KIOSK_STATES = ("online", "silent", "revoked")


@dataclass(frozen=True)
class KioskState:
    """One kiosk as a scrape shows it. ``state``: ``revoked`` (its token no longer works),
    ``silent`` (the admin site's rule: quiet for too long during its office's opening hours), or
    ``online`` (every other enrolled kiosk, including one outside opening hours or at a counter
    switched off)."""

    device_id: int
    location: str
    office: str
    state: str
    queue_length: int | None
    quarantined: int | None


def kiosk_states(session: DbSession, now: datetime) -> list[KioskState]:
    found = session.scalars(
        select(Device).options(joinedload(Device.location).joinedload(Location.office)).order_by(Device.id)
    )
    states = []
    for device in found:
        if device.revoked_at is not None:
            state = "revoked"
        elif is_silent(device, now):
            state = "silent"
        else:
            state = "online"
        location = device.location
        states.append(
            KioskState(device.id, location.code, location.office.slug, state, device.queue_length, device.quarantined)
        )
    return states


def office_of_locations(session: DbSession) -> dict[int, str]:
    """Location id → its office's slug (the office label of the metrics)."""
    rows = session.execute(select(Location.id, Office.slug).join(Location.office))
    return {int(location_id): str(slug) for location_id, slug in rows}
