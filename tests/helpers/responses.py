"""Responses stored through the product's real write paths (kiosk ingest, the QR form's
``store_rows``, the phone survey), so the rollups that every score reads are kept as in production."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta

from feedback.database import write_transaction
from feedback.services import phone
from feedback.services.ingest import ingest, payload_hash, store_rows


def utc(text: str) -> datetime:
    """'2026-11-01T06:30' (or with seconds) read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def item(rating: int, when: datetime, offered=(), chosen=(), version: int | None = None) -> dict:
    """One response as ResponseInSchema().load() returns it."""
    return {
        "id": uuid.uuid4(),
        "rating": rating,
        "language": "en",
        "client_time": when,
        "survey_version": version,
        "followup_offered": list(offered),
        "followup_chosen": list(chosen),
    }


def kiosk(session, device, items: list[dict]):
    """Ingest ``items`` as one batch, with the server clock just after the last tap."""
    now = max(i["client_time"] for i in items) + timedelta(minutes=1)
    return ingest(session, device, items, now=now)


def qr(session, location, items: list[dict], *, suspect: bool = False) -> None:
    """Store ``items`` as QR-channel rows (no device), as the QR form's write path does."""
    with write_transaction(session):
        version = location.survey.current_version()
        rows = [
            {
                "id": i["id"],
                "location_id": location.id,
                "survey_version_id": version.id,
                "device_id": None,
                "channel": "qr",
                "rating": i["rating"],
                "followup_offered": list(i["followup_offered"]),
                "followup_chosen": list(i["followup_chosen"]),
                "language": i["language"],
                "client_time": i["client_time"],
                "received_at": i["client_time"] + timedelta(seconds=5),
                "suspect": suspect,
                "payload_hash": payload_hash(i),
            }
            for i in items
        ]
        store_rows(session, rows, scales={version.id: version.scale}, zones={location.id: location.office.tz})


def put(session, location, ratings, day: date, *, suspect=False, channel="qr", comment=None, hour=10):
    """Store one response per rating at ``day`` ``hour``:00 + k minutes, the office's local time."""
    version = location.survey.current_version()
    tz = location.office.tz
    rows = []
    for k, rating in enumerate(ratings):
        moment = datetime.combine(day, time(hour), tz) + timedelta(minutes=k)
        rows.append(
            {
                "id": uuid.uuid4(),
                "location_id": location.id,
                "survey_version_id": version.id,
                "device_id": None,
                "channel": channel,
                "rating": rating,
                "followup_offered": [],
                "followup_chosen": [],
                "language": "en",
                "client_time": moment.astimezone(UTC),
                "received_at": moment.astimezone(UTC),
                "suspect": suspect,
                "payload_hash": hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                "comment": comment,
                "comment_state": "open" if comment else None,
            }
        )
    with write_transaction(session):
        store_rows(session, rows, scales={version.id: version.scale}, zones={location.id: tz})


def say(session, location, rating, when, comment, *, choices=(), offered=("ease", "efficiency")):
    """One phone answer with a comment, stored at ``when`` (UTC) as the phone survey stores it."""
    result = phone.submit(
        session,
        location,
        response_id=uuid.uuid4(),
        rating=rating,
        language="en",
        survey_version=None,
        followup_offered=list(offered),
        followup_chosen=list(choices),
        comment=comment,
        repeat=False,
        now=when,
    )
    return result.response.id
