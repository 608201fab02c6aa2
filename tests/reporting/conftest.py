"""The fixed data set of the A-11 golden files, and small helpers for the reporting tests.

Two offices in different time zones (Chicago: UTC-5 until 1 November 2026, then UTC-6;
Honolulu: UTC-10 all year), one faces5 survey with two versions, and thirteen responses
with fixed ids and client times on both sides of FY2027Q1 (1 October .. 31 December 2026,
local dates). ``RESPONSES`` says, for each, why it is or is not in the export.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from feedback.database import write_transaction
from feedback.models import CustomerVolume, Response
from feedback.scales import DEFAULT_FOLLOWUP
from feedback.services import ingest, org, rollups
from tests.admin.conftest import _quick_password_hashes, make_user  # noqa: F401  (fixtures for the admin tests)

CHICAGO = ZoneInfo("America/Chicago")
HONOLULU = ZoneInfo("Pacific/Honolulu")
QUESTION = {
    "en": "How satisfied were you with the service you received today?",
    "es": "¿Qué tan satisfecho quedó con el servicio que recibió hoy?",
}
F6 = list(DEFAULT_FOLLOWUP)  # effectiveness .. employee; "other" is never offered
FEDERAL_REGISTER_V2 = "https://www.federalregister.gov/d/2026-21234"


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")


def local(tz, *parts) -> datetime:
    return datetime(*parts, tzinfo=tz).astimezone(UTC)


# n, location, client time, channel, rating, version, offered, chosen, suspect, comment, state
RESPONSES = [
    # 2026-09-30 23:30 in Chicago = 1 Oct 04:30 UTC, but the local date is in FY2026Q4: out.
    (1, "CHI-1", local(CHICAGO, 2026, 9, 30, 23, 30), "kiosk", 5, 1, F6, [], False, None, None),
    # 00:10 local on 1 October: the first counted response (05:10 UTC).
    (2, "CHI-1", local(CHICAGO, 2026, 10, 1, 0, 10), "kiosk", 4, 1, F6, ["ease"], False, None, None),
    (3, "CHI-1", local(CHICAGO, 2026, 10, 15, 10, 0), "kiosk", 2, 1, F6, ["efficiency", "employee"], False, None, None),
    # A repeat tap a second later: suspect, left out and counted in suspect_respondents.
    (4, "CHI-1", local(CHICAGO, 2026, 10, 15, 10, 0, 1), "kiosk", 2, 1, [], [], True, None, None),
    # A comment a spreadsheet would run as a formula: exported with a leading quote.
    (
        5,
        "CHI-1",
        local(CHICAGO, 2026, 11, 2, 9, 0),
        "qr",
        1,
        1,
        F6,
        [],
        False,
        '=HYPERLINK("http://example.com","click")',
        "open",
    ),
    # No follow-up offered: every driver cell empty. Accents and a comma in the comment.
    (6, "CHI-1", local(CHICAGO, 2026, 11, 2, 9, 5), "qr", 5, 1, [], [], False, "Très bien, merci", "open"),
    # Marked as spam in the comment inbox: out of the rollups, counted in spam_respondents only.
    (7, "CHI-1", local(CHICAGO, 2026, 11, 20, 14, 0), "qr", 3, 1, F6, [], False, "Cheap watches", "spam"),
    # 18:00 on 31 December in Chicago is already 1 January UTC: still FY2027Q1.
    (8, "CHI-1", local(CHICAGO, 2026, 12, 31, 18, 0), "kiosk", 3, 1, F6, ["transparency"], False, None, None),
    # 20:00 on 30 September in Honolulu = 1 Oct 06:00 UTC, after response 2 in UTC, yet out.
    (9, "HNL-1", local(HONOLULU, 2026, 9, 30, 20, 0), "kiosk", 1, 1, F6, ["effectiveness"], False, None, None),
    (10, "HNL-1", local(HONOLULU, 2026, 10, 1, 8, 0), "kiosk", 5, 1, F6, ["humanity", "employee"], False, None, None),
    # 23:00 on 31 December in Honolulu (1 Jan 09:00 UTC): in.
    (11, "HNL-1", local(HONOLULU, 2026, 12, 31, 23, 0), "qr", 4, 1, F6, [], False, "+1 for the friendly staff", "open"),
    # 00:30 on 1 January in Honolulu: FY2027Q2, out.
    (12, "HNL-1", local(HONOLULU, 2027, 1, 1, 0, 30), "kiosk", 2, 2, F6, ["ease"], False, None, None),
    # Answered version 2: the newest version of HNL-1's kiosk this quarter.
    (13, "HNL-1", local(HONOLULU, 2026, 11, 10, 9, 0), "kiosk", 4, 2, F6, ["ease", "efficiency"], False, None, None),
]

# location, fiscal year, quarter, channel, customers, offered the survey
VOLUMES = [
    ("CHI-1", 2027, 1, "kiosk", 1200, 1100),
    ("CHI-1", 2027, 1, "qr", None, 1200),  # one figure not known yet
    ("CHI-2", 2027, 1, "kiosk", 400, 380),  # no responses at CHI-2: the row comes from the volumes
    ("CHI-1", 2026, 4, "kiosk", 999, 999),  # another quarter: not exported
    ("HNL-1", 2027, 2, "qr", 50, 50),  # another quarter: HNL-1 has no FY2027Q1 volumes
]


@pytest.fixture
def golden_world(session):
    """The data set above, stored as ingest and the comment inbox would (rollups included)."""
    with write_transaction(session):
        chicago, _ = org.get_or_create_office(session, "Chicago Passport Agency", "America/Chicago")
        chicago.service_provided = "Passport application"
        honolulu, _ = org.get_or_create_office(session, "Honolulu Passport Agency", "Pacific/Honolulu")
        survey = org.create_survey(
            session,
            "A-11 counter survey",
            scale="faces5",
            question=QUESTION,
            followup_choices=F6,
            omb_control_number="1405-0001",
        )
        v1 = survey.current_version()
        v2 = org.add_survey_version(
            session, survey, scale="faces5", question=QUESTION, followup_choices=F6, omb_control_number="1405-0001"
        )
        v2.federal_register_url = FEDERAL_REGISTER_V2  # version 1 has none: reported missing
        places = {}
        for code, office, name in (
            ("CHI-1", chicago, "Counter 1"),
            ("CHI-2", chicago, "Counter 2"),
            ("HNL-1", honolulu, "Counter 1"),
        ):
            places[code], _ = org.add_location(session, code, office=office, name=name, survey=survey)
        places["CHI-2"].service_provided = "Passport pick-up"  # overrides the office's
        versions = {1: v1, 2: v2}
        rows = [
            {
                "id": uid(n),
                "location_id": places[code].id,
                "survey_version_id": versions[v].id,
                "device_id": None,
                "channel": channel,
                "rating": rating,
                "followup_offered": offered,
                "followup_chosen": chosen,
                "language": "en",
                "client_time": when,
                "received_at": when + timedelta(seconds=3),
                "suspect": suspect,
                "payload_hash": hashlib.sha256(str(n).encode()).hexdigest(),
                "comment": comment,
                "comment_state": "open" if comment else None,
            }
            for n, code, when, channel, rating, v, offered, chosen, suspect, comment, _state in RESPONSES
        ]
        zones = {loc.id: loc.office.tz for loc in places.values()}
        ingest.store_rows(session, rows, scales={v1.id: "faces5", v2.id: "faces5"}, zones=zones)
        for n, code, when, channel, rating, v, offered, chosen, suspect, _comment, state in RESPONSES:
            if state == "spam":  # what marking spam in the comment inbox does
                session.execute(update(Response).where(Response.id == uid(n)).values(comment_state="spam"))
                rollups.apply(
                    session,
                    [
                        rollups.Fact(
                            places[code].id,
                            zones[places[code].id],
                            when,
                            channel,
                            "faces5",
                            suspect,
                            rating,
                            tuple(offered),
                            tuple(chosen),
                        )
                    ],
                    sign=-1,
                )
        for code, fiscal_year, quarter, channel, customers, offered in VOLUMES:
            session.add(
                CustomerVolume(
                    location_id=places[code].id,
                    fiscal_year=fiscal_year,
                    quarter=quarter,
                    channel=channel,
                    volume_of_customers=customers,
                    volume_of_customers_provided_survey_opportunity=offered,
                    updated_by="test",
                )
            )
    return places


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def store(session, location, version, items, start: int = 1000) -> None:
    """Store responses at ``location`` answering ``version``; each item is
    (local datetime parts, channel, rating[, offered, chosen[, suspect]]). Ids count up from ``start``."""
    rows = []
    tz = location.office.tz
    for n, item in enumerate(items, start=start):
        parts, channel, rating, *rest = item
        offered, chosen, suspect = (list(rest) + [[], [], False][len(rest) :])[:3]
        when = local(tz, *parts)
        rows.append(
            {
                "id": uid(n),
                "location_id": location.id,
                "survey_version_id": version.id,
                "device_id": None,
                "channel": channel,
                "rating": rating,
                "followup_offered": list(offered),
                "followup_chosen": list(chosen),
                "language": "en",
                "client_time": when,
                "received_at": when,
                "suspect": suspect,
                "payload_hash": hashlib.sha256(str(n).encode()).hexdigest(),
                "comment": None,
                "comment_state": None,
            }
        )
    with write_transaction(session):
        ingest.store_rows(session, rows, scales={version.id: version.scale}, zones={location.id: tz})
