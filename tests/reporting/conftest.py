"""The fixed data set of the A-11 golden files, and small helpers for the reporting tests.

Two offices in different time zones (Chicago: UTC-5 until 1 November 2026, then UTC-6;
Honolulu: UTC-10 all year) of one service provider, both offering "Passport application";
Chicago's CHI-2 offers "Passport pick-up" instead. Three surveys: the A-11 v2 template on
5 points (three versions, the same question), the template on thumbs, and a 4-face survey that
is not an A-11 survey. Seventeen responses with fixed ids and client times on both sides of
FY2027Q1 (1 October .. 31 December 2026, local dates). ``RESPONSES`` says, for each, why it is or
is not in the files; test_a11_golden.py derives every expected cell from it.
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
from feedback.scales import DEFAULT_FOLLOWUP, DRIVERS
from feedback.services import ingest, rollups
from feedback.touchpoints import A11_V2, trust_question
from tests.builders import add_location, add_office, add_survey, add_survey_version

CHICAGO = ZoneInfo("America/Chicago")
HONOLULU = ZoneInfo("Pacific/Honolulu")
PROVIDER = "Department of State - Passport Services"
AGENCY = "the Department of State"
TRUST = trust_question(AGENCY)
F6 = list(DEFAULT_FOLLOWUP)  # effectiveness .. employee; "other" is not offered: its cells are "null"
F7 = list(DRIVERS)  # the template's seven
FEDERAL_REGISTER = "https://www.federalregister.gov/d/2026-21234"
FACES4_QUESTION = {"en": "How did we do today?", "es": "¿Cómo lo hicimos hoy?"}


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")


def local(tz, *parts) -> datetime:
    return datetime(*parts, tzinfo=tz).astimezone(UTC)


def a11_survey(session, name: str, *, scale: str = "faces5", followup=F7, **kwargs):
    """A survey built from the A-11 v2 template (in the caller's transaction)."""
    return add_survey(session, name, scale=scale, question=TRUST, followup_choices=followup, a11_role=A11_V2, **kwargs)


# n, location, client time, channel, rating, survey version, offered, chosen, suspect, comment, state
# Versions: "A1".."A3" the 5-point A-11 survey, "T1" the thumbs one, "N1" the 4-face survey.
RESPONSES = [
    # 2026-09-30 23:30 in Chicago = 1 Oct 04:30 UTC, but the local date is in FY2026Q4: out.
    (1, "CHI-1", local(CHICAGO, 2026, 9, 30, 23, 30), "kiosk", 5, "A1", F6, [], False, None, None),
    # 00:10 local on 1 October: the first counted response (05:10 UTC).
    (2, "CHI-1", local(CHICAGO, 2026, 10, 1, 0, 10), "kiosk", 4, "A1", F6, ["ease"], False, None, None),
    (
        3,
        "CHI-1",
        local(CHICAGO, 2026, 10, 15, 10, 0),
        "kiosk",
        2,
        "A1",
        F6,
        ["efficiency", "employee"],
        False,
        None,
        None,
    ),
    # A repeat tap a second later: suspect, left out. It answered version 3, which no counted
    # response answered: the collection must not name version 3 (issue 12, item 8).
    (4, "CHI-1", local(CHICAGO, 2026, 10, 15, 10, 0, 1), "kiosk", 2, "A3", [], [], True, None, None),
    # A comment a spreadsheet would run as a formula: exported with a leading quote.
    (
        5,
        "CHI-1",
        local(CHICAGO, 2026, 11, 2, 9, 0),
        "qr",
        1,
        "A1",
        F6,
        [],
        False,
        '=HYPERLINK("http://example.com","click")',
        "open",
    ),
    # No follow-up offered to this visitor: the drivers are still 0 where the version offers them
    # (Touchpoints decides per form, not per respondent). Accents and a comma in the comment.
    (6, "CHI-1", local(CHICAGO, 2026, 11, 2, 9, 5), "qr", 5, "A1", [], [], False, "Très bien, merci", "open"),
    # Marked as spam in the comment inbox: out of the rollups, counted in spam_respondents only.
    (7, "CHI-1", local(CHICAGO, 2026, 11, 20, 14, 0), "qr", 3, "A3", F6, [], False, "Cheap watches", "spam"),
    # 18:00 on 31 December in Chicago is already 1 January UTC: still FY2027Q1.
    (8, "CHI-1", local(CHICAGO, 2026, 12, 31, 18, 0), "kiosk", 3, "A1", F6, ["transparency"], False, None, None),
    # 20:00 on 30 September in Honolulu = 1 Oct 06:00 UTC, after response 2 in UTC, yet out.
    (9, "HNL-1", local(HONOLULU, 2026, 9, 30, 20, 0), "kiosk", 1, "A1", F6, ["effectiveness"], False, None, None),
    (
        10,
        "HNL-1",
        local(HONOLULU, 2026, 10, 1, 8, 0),
        "kiosk",
        5,
        "A1",
        F6,
        ["humanity", "employee"],
        False,
        None,
        None,
    ),
    # 23:00 on 31 December in Honolulu (1 Jan 09:00 UTC): in.
    (
        11,
        "HNL-1",
        local(HONOLULU, 2026, 12, 31, 23, 0),
        "qr",
        4,
        "A1",
        F6,
        [],
        False,
        "+1 for the friendly staff",
        "open",
    ),
    # 00:30 on 1 January in Honolulu: FY2027Q2, out.
    (12, "HNL-1", local(HONOLULU, 2027, 1, 1, 0, 30), "kiosk", 2, "A2", F6, ["ease"], False, None, None),
    (13, "HNL-1", local(HONOLULU, 2026, 11, 10, 9, 0), "kiosk", 4, "A2", F6, ["ease", "efficiency"], False, None, None),
    # Thumbs up (stored 2) and down (stored 1) on the thumbs template: question_1 1 and 0.
    (14, "CHI-2", local(CHICAGO, 2026, 10, 5, 9, 0), "kiosk", 2, "T1", F7, ["employee"], False, None, None),
    (15, "CHI-2", local(CHICAGO, 2026, 10, 5, 9, 5), "kiosk", 1, "T1", F7, ["efficiency"], False, None, None),
    # The 4-face survey: not an A-11 survey, left out of the files with the reason.
    (16, "CHI-4", local(CHICAGO, 2026, 10, 6, 10, 0), "kiosk", 3, "N1", F6, [], False, None, None),
    (17, "CHI-4", local(CHICAGO, 2026, 10, 6, 10, 5), "qr", 1, "N1", F6, [], False, None, None),
]

# location, fiscal year, quarter, channel, customers, offered the survey
VOLUMES = [
    ("CHI-1", 2027, 1, "kiosk", 1200, 1100),
    ("CHI-1", 2027, 1, "qr", None, 1200),  # one figure not known yet
    ("CHI-2", 2027, 1, "kiosk", 400, 1),  # 1 offered but 2 respondents: inconsistent (item 10)
    ("CHI-4", 2027, 1, "kiosk", 300, 250),  # a counter left out: its volumes are not reported
    ("CHI-1", 2026, 4, "kiosk", 999, 999),  # another quarter: not exported
    ("HNL-1", 2027, 2, "qr", 50, 50),  # another quarter: HNL-1 has no FY2027Q1 volumes
]


@pytest.fixture
def golden_world(session):
    """The data set above, stored as ingest and the comment inbox would (rollups included)."""
    with write_transaction(session):
        chicago = add_office(session, "Chicago Passport Agency", "America/Chicago")
        honolulu = add_office(session, "Honolulu Passport Agency", "Pacific/Honolulu")
        for office in (chicago, honolulu):
            office.service_provider, office.service_provided = PROVIDER, "Passport application"
        survey = a11_survey(session, "A-11 counter survey", followup=F6, omb_control_number="1405-0001")
        a1 = survey.current_version()
        a2, a3 = (
            add_survey_version(
                session,
                survey,
                scale="faces5",
                question=TRUST,
                followup_choices=F6,
                omb_control_number=omb,
                federal_register_url=FEDERAL_REGISTER,
                a11_role=A11_V2,
            )
            for omb in ("1405-0001", "1405-0099")
        )
        thumbs = a11_survey(
            session,
            "A-11 pick-up survey",
            scale="thumbs",
            omb_control_number="1405-0002",
            federal_register_url=FEDERAL_REGISTER,
        )
        faces4 = add_survey(
            session, "Passport counter (4 faces)", scale="faces4", question=FACES4_QUESTION, followup_choices=F6
        )
        versions = {"A1": a1, "A2": a2, "A3": a3, "T1": thumbs.current_version(), "N1": faces4.current_version()}
        places = {}
        for code, office, name, asked in (
            ("CHI-1", chicago, "Counter 1", survey),
            ("CHI-2", chicago, "Counter 2", thumbs),
            ("CHI-4", chicago, "Counter 4", faces4),
            ("HNL-1", honolulu, "Counter 1", survey),
        ):
            places[code] = add_location(session, code, office=office, name=name, survey=asked)
        places["CHI-2"].service_provided = "Passport pick-up"  # overrides the office's
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
        ingest.store_rows(session, rows, scales={v.id: v.scale for v in versions.values()}, zones=zones)
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
                            versions[v].scale,
                            suspect,
                            rating,
                            "en",
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


def a11_place(session, build, code: str, office, *, scale: str = "faces5", survey=None, **survey_kwargs):
    """A location asking an A-11 v2 survey (a new one unless ``survey`` is given); returns
    (location, its current version)."""
    if survey is None:
        with write_transaction(session):
            survey = a11_survey(session, f"A-11 survey {code}", scale=scale, **survey_kwargs)
    location = build.location(code=code, office=office, survey=survey)
    return location, survey.current_version()


def export_folder(runner, quarter: str, folder, *args) -> dict[str, bytes]:
    """``flask export a11`` into ``folder``; the files it wrote by name."""
    result = runner.invoke(args=["export", "a11", "--quarter", quarter, "--output-dir", str(folder), *args])
    assert result.exit_code == 0, result.output
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def enter_volume(session, location, served, offered, *, channel: str = "kiosk", fiscal_year=2027, quarter=1):
    """Customer volumes of a location, as a manager would enter them (no audit: test data)."""
    with write_transaction(session):
        session.add(
            CustomerVolume(
                location_id=location.id,
                fiscal_year=fiscal_year,
                quarter=quarter,
                channel=channel,
                volume_of_customers=served,
                volume_of_customers_provided_survey_opportunity=offered,
                updated_by="test",
            )
        )
