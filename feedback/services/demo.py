"""Demo data: three offices in different time zones, their counters and kiosks, and
thirteen weeks of responses (so the last fiscal quarter has data too) with realistic
hour-of-day and weekday patterns."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from feedback.database import DbSession, write_transaction
from feedback.models import Device, Location, Office, SurveyVersion
from feedback.scales import DEFAULT_FOLLOWUP, DRIVERS, SCALES
from feedback.services import ingest, kiosks, locations, offices, survey_links, surveys, users, volumes
from feedback.services.actors import DEMO_LOADER
from feedback.services.fiscal import FiscalQuarter
from feedback.services.scrub import clean_comment
from feedback.services.surveys import DEFAULT_QUESTION
from feedback.touchpoints import A11_V2, trust_question

DEMO_ADMIN = ("admin@example.gov", "demo-admin-password")
DEMO_MANAGER = ("manager.houston@example.gov", "demo-manager-password")
OFFICE_TARGET_PERCENT = 85  # each demo office's CSAT target (locations may publish their own)
WEEKLY_RESPONSE_TARGET = 150  # responses a week per location; a demo counter collects about 250-300
LINK_TTL = timedelta(hours=24)  # each kiosk's first enrolment link (`flask demo links` issues fresh ones)


@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: str
    survey: str
    quality: float  # shifts ratings: >0 better than average, <0 worse
    target_percent: int = 85  # the published CSAT target
    service: str | None = None  # the A-11 service, when not the office's


# The service each office names in the A-11 Section 280 quarterly collection, and its provider.
SERVICES = {
    "Houston Passport Agency": "U.S. passport application and renewal",
    "Honolulu Passport Agency": "U.S. passport application and renewal",
    "New York Benefits Office": "Benefit claims and appeals",
}
PROVIDERS = {
    "Houston Passport Agency": "Department of State - Passport Services",
    "Honolulu Passport Agency": "Department of State - Passport Services",
    "New York Benefits Office": "Demo Benefits Administration - Field Offices",
}
DEMO_AGENCY = "the Demo Benefits Administration"

OFFICES = [
    (
        "Houston Passport Agency",
        "America/Chicago",
        {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": [["09:00", "13:00"]], "sun": []},
        [
            DemoLocation("HOU-C1", "Counter 1 - Applications", "passport", 0.3),
            DemoLocation("HOU-C2", "Counter 2 - Expedited", "passport", -0.6, 80),
            DemoLocation("HOU-C3", "Counter 3 - Pick-up", "passport", 0.6),
        ],
    ),
    (
        "Honolulu Passport Agency",
        "Pacific/Honolulu",
        {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []},
        [DemoLocation("HNL-C1", "Counter 1", "passport", 0.2), DemoLocation("HNL-C2", "Counter 2", "passport", 0.0)],
    ),
    (
        "New York Benefits Office",
        "America/New_York",
        {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []},
        [
            DemoLocation("NYC-W1", "Window 1 - Claims", "a11", -0.2),
            DemoLocation("NYC-W2", "Window 2 - Claims", "a11", 0.1),
            DemoLocation("NYC-W3", "Window 3 - Appeals", "a11", -0.9),
            DemoLocation("NYC-INFO", "Information desk", "info", 0.4, 90, "Benefit information"),
        ],
    ),
]

SURVEYS: dict[str, dict[str, Any]] = {
    # The New York office asks the A-11 v2 template (trust question, every driver; 5 points at the
    # windows, thumbs at the information desk): its answers are what the A-11 files report; the
    # passport counters' 4-face survey is left out with its reason.
    "a11": {
        "name": "A-11 customer experience",
        "content": {
            "scale": "faces5",
            "question": trust_question(DEMO_AGENCY),
            "followup_choices": DRIVERS,
            "a11_role": A11_V2,
            "omb_control_number": "0000-0000",
            "omb_expiration": date(2027, 12, 31),
            "federal_register_url": "https://www.federalregister.gov/documents/2026/01/01/0000-00000/demo-notice",
            "burden_statement": "A federal agency may not conduct or sponsor an information collection unless "
            "it displays a valid OMB control number. Public burden is estimated at 1 minute.",
        },
    },
    "passport": {
        "name": "Passport counter",
        "content": {
            "scale": "faces4",
            "question": DEFAULT_QUESTION,
            "followup_choices": DEFAULT_FOLLOWUP,
        },
    },
    "info": {
        "name": "Information desk",
        "content": {
            "scale": "thumbs",
            "question": trust_question(DEMO_AGENCY),
            "followup_choices": DRIVERS,
            "a11_role": A11_V2,
        },
    },
}

# Phone comments, some with personal data the scrubber removes before storage.
COMMENTS = {
    True: (
        "Quick and friendly, thank you!",
        "The staff member at the window was very patient.",
        "Much faster than last year.",
        "Clear signs, easy to find the right counter.",
        "Great service. Call me if you need anything: 713-555-0134",
    ),
    False: (
        "Waited over an hour even with an appointment.",
        "Nobody explained which form I needed.",
        "The line at lunch time was very long.",
        "I was sent to three different windows.",
        "Please e-mail me about my case: jane.doe@example.com, passport 123456789",
    ),
}

# Relative visitor volume by local hour and weekday (Mon=0): morning rush, lunch dip, afternoon peak.
HOUR_WEIGHT = {8: 0.6, 9: 1.0, 10: 1.3, 11: 1.2, 12: 0.7, 13: 0.9, 14: 1.2, 15: 1.0, 16: 0.6}
WEEKDAY_WEIGHT = (1.3, 1.0, 0.9, 1.0, 1.1, 0.6, 0.0)


def demo_loaded(session: DbSession) -> bool:
    return session.scalar(select(Location.id).where(Location.code == "HOU-C1")) is not None


def first_kiosks(session: DbSession) -> list[tuple[Office, Location, Device]]:
    """Each office's first location (by code) with its first active kiosk: what `flask demo links`
    prints a link for."""
    found = []
    for office in session.scalars(select(Office).order_by(Office.name)):
        location = session.scalars(
            select(Location).where(Location.office_id == office.id).order_by(Location.code)
        ).first()
        if location is None:
            continue
        device = session.scalars(
            select(Device).where(Device.location_id == location.id, Device.revoked_at.is_(None)).order_by(Device.id)
        ).first()
        if device is not None:
            found.append((office, location, device))
    return found


def load(
    session: DbSession,
    *,
    now: datetime,
    weeks: int = 13,
    seed: int = 2026,
    per_hour: float = 7.0,
    progress: Callable | None = None,
) -> dict:
    """Create the demo, through the same audited services as the admin site (the actor is the
    "demo loader"), with WEEKS of responses ending the day before ``now``; returns what was made.
    Does nothing if it is already there."""
    if demo_loaded(session):
        return {"created": False}
    rng = random.Random(seed)
    with write_transaction(session):
        made = _organisation(session, now)
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=d) for d in range(weeks * 7, 0, -1)]
    versions = {spec.code: location.survey.current_version() for _office, location, _device, spec in made}
    scales = {v.id: v.scale for v in versions.values()}
    zones = {loc.id: office.tz for office, loc, _, _ in made}
    total = 0
    for day in progress(days) if progress else days:
        rows = []
        for office, location, device, spec in made:
            rows.extend(_day_rows(rng, day, office, location, device, spec, versions[spec.code], per_hour))
        with write_transaction(session):
            ingest.store_rows(session, rows, scales=scales, zones=zones)
        total += len(rows)
    with write_transaction(session):
        _volumes(session, made, today)
    return {"created": True, "locations": len(made), "responses": total, "days": len(days)}


def _organisation(session: DbSession, now: datetime) -> list[tuple[Office, Location, Device, DemoLocation]]:
    """Surveys, offices with their published standards and public scoreboards, locations, kiosks, users."""
    actor = DEMO_LOADER
    survey_ids = {
        key: surveys.create_survey(session, actor, name=spec["name"], fields=surveys.content(**spec["content"])).id
        for key, spec in SURVEYS.items()
    }
    made = []
    for office_name, tz, week, locs in OFFICES:
        office = offices.create_office(
            session,
            actor,
            name=office_name,
            timezone=tz,
            opening_hours=week,
            csat_target_percent=OFFICE_TARGET_PERCENT,
            weekly_response_target=WEEKLY_RESPONSE_TARGET,
            service_provided=SERVICES[office_name],
            service_provider=PROVIDERS[office_name],
            scoreboard_public=True,
        )
        for spec in locs:
            location = locations.create_location(
                session,
                actor,
                code=spec.code,
                name=spec.name,
                office_id=office.id,
                survey_id=survey_ids[spec.survey],
                csat_target_percent=spec.target_percent,
                service_provided=spec.service,
            )
            kiosk = kiosks.enroll_kiosk(session, actor, now, location.id, f"{spec.code} kiosk", ttl=LINK_TTL)
            survey_links.current_link(session, location)
            made.append((office, location, kiosk.device, spec))
    houston = [office.id for office, *_ in made if office.name.startswith("Houston")][:1]
    for (email, password), role, office_ids in ((DEMO_ADMIN, "admin", []), (DEMO_MANAGER, "manager", houston)):
        if users.user_by_email(session, email) is None:
            users.create_user(session, actor, email=email, role=role, password=password, office_ids=office_ids)
    return made


def _volumes(session: DbSession, made: list[tuple[Office, Location, Device, DemoLocation]], today: date) -> None:
    """Customer volumes of the last finished quarter for the Houston counters' kiosks and the New
    York claims windows' kiosks only, so the Reporting page shows both entered and missing figures
    (and Houston's, whose survey is not an A-11 survey, left out)."""
    quarter = FiscalQuarter.of(today).previous()
    figures = volumes.Figures(volume_of_customers=5200, volume_of_customers_provided_survey_opportunity=4900)
    for office, location, _device, _spec in made:
        if office.name.startswith("Houston") or location.code.startswith("NYC-W"):
            entry = volumes.Entry(location.id, quarter, "kiosk", figures)
            volumes.upsert(session, DEMO_LOADER, entry, source="demo")


def _day_rows(
    rng: random.Random,
    day: date,
    office: Office,
    location: Location,
    device: Device,
    spec: DemoLocation,
    version: SurveyVersion,
    per_hour: float,
) -> list[dict[str, Any]]:
    scale = SCALES[version.scale]
    rows = []
    last_tap = None
    for span_start, span_end in office.opening_hours.get(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()], []
    ):
        start = datetime.combine(day, time.fromisoformat(span_start), office.tz)
        end = datetime.combine(day, time.fromisoformat(span_end), office.tz)
        moment = start
        while True:
            local_hour = moment.hour
            rate = per_hour * HOUR_WEIGHT.get(local_hour, 0.5) * WEEKDAY_WEIGHT[day.weekday()]
            if rate <= 0:
                break
            moment += timedelta(seconds=rng.expovariate(rate / 3600))
            if moment >= end:
                break
            # Lunch-hour understaffing and Monday queues make for worse ratings.
            mood = spec.quality - (0.7 if local_hour == 12 else 0) - (0.3 if day.weekday() == 0 else 0)
            rating = _rating(rng, scale.points, mood)
            channel = "qr" if rng.random() < 0.15 else "kiosk"
            offered, chosen = [], []
            if version.followup_choices and rng.random() < 0.6:
                offered = list(version.followup_choices)
                chosen = rng.sample(offered, k=rng.choice((0, 1, 1, 2)))
            suspect = False
            if channel == "kiosk" and rng.random() < 0.01 and last_tap is not None:
                moment = last_tap + timedelta(seconds=1)  # an impatient double tap
                suspect = True
            rows.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "location_id": location.id,
                    "survey_version_id": version.id,
                    "device_id": device.id if channel == "kiosk" else None,
                    "channel": channel,
                    "rating": rating,
                    "followup_offered": offered,
                    "followup_chosen": chosen,
                    "language": "es" if rng.random() < 0.2 else "en",
                    "client_time": moment.astimezone(UTC),
                    "received_at": moment.astimezone(UTC) + timedelta(seconds=rng.randint(0, 5)),
                    "suspect": suspect,
                    "payload_hash": hashlib.sha256(f"demo-{location.id}-{moment.isoformat()}".encode()).hexdigest(),
                    "comment": clean_comment(rng.choice(COMMENTS[scale.is_positive(rating)]))
                    if channel == "qr" and rng.random() < 0.3
                    else None,
                }
            )
            rows[-1]["comment_state"] = "open" if rows[-1]["comment"] else None
            if channel == "kiosk":
                last_tap = moment
    return rows


def _rating(rng: random.Random, points: int, mood: float) -> int:
    """A rating skewed positive like real counter feedback, shifted by ``mood``."""
    score = rng.gauss(0.78 + 0.12 * mood, 0.22)
    return max(1, min(points, 1 + round(score * (points - 1))))
