"""The quarter view of service standards, /admin/standards: figures, verdicts in words, scope."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feedback.database import write_transaction
from feedback.models import Location, Office, User
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import wilson_interval
from tests.admin.conftest import sign_in
from tests.helpers.responses import put

_CELL = re.compile(r'<td[^>]*data-col="([a-z-]+)"[^>]*>(.*?)</td>', re.S)
_TAG = re.compile(r"<[^>]+>")


def cells(body: str, row_attr: str) -> dict[str, str]:
    """The data cells of the row carrying ``row_attr`` (e.g. ``data-code="A-1"``), as text."""
    start = body.index(row_attr)
    row = body[start : body.index("</tr>", start)]
    return {col: " ".join(html.unescape(_TAG.sub("", text)).split()) for col, text in _CELL.findall(row)}


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


@pytest.fixture
def this_quarter():
    return FiscalQuarter.of(datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")).date())


@pytest.fixture
def world(session, build, make_user, this_quarter):
    """Alpha (Chicago, office target 80 %, 5 a week per location): A-1 with 9 of 12 positive this quarter,
    A-2 with 95 of 100 and its own target 90 %; Bravo (New York, no targets): B-1 with 3 responses.
    Last quarter: A-1 had 40 of 80. A manager of A-1 only, and an admin."""
    alpha = build.office("Alpha Passport Agency", "America/Chicago")
    bravo = build.office("Bravo Licence Centre", "America/New_York")
    a1 = build.location("A-1", office=alpha)
    a2 = build.location("A-2", office=alpha)
    b1 = build.location("B-1", office=bravo)
    with write_transaction(session):
        office = session.get(Office, alpha.id)
        office.csat_target, office.weekly_response_target = 0.8, 5
        session.get(Location, a2.id).csat_target = 0.9
    this = this_quarter
    put(session, a1, [5] * 9 + [2] * 3, this.start)
    put(session, a2, [5] * 95 + [1] * 5, this.start)
    put(session, b1, [4, 4, 1], this.start)
    put(session, a1, [5] * 40 + [1] * 40, this.previous().start)
    manager = make_user("manager@example.gov", "manager")
    make_user("admin@example.gov", "admin")
    with write_transaction(session):
        session.get(User, manager.id).locations = [session.get(Location, a1.id)]
    return {"alpha": alpha, "bravo": bravo}


def test_admin_sees_every_office_with_verdicts(client, world, this_quarter):
    assert sign_in(client, "admin@example.gov").status_code == 302
    response = client.get("/admin/standards")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'<option value="{this_quarter}" selected>' in body
    assert 'href="/admin/standards"' in body and ">Service standards</a>" in body  # in the menu
    a1 = cells(body, 'data-code="A-1"')
    interval = wilson_interval(9, 12)
    assert a1["responses"] == "12" and a1["csat"] == "75.0%"
    assert a1["interval"] == f"{pct(interval.low)} – {pct(interval.high)}"
    assert (a1["target"], a1["verdict"]) == ("80.0%", "Too few to tell")  # 12 answers: not declared failing
    assert a1["weekly-target"] == "5"
    a2 = cells(body, 'data-code="A-2"')
    assert (a2["responses"], a2["csat"], a2["target"], a2["verdict"]) == ("100", "95.0%", "90.0%", "Met")
    office = cells(body, 'data-office="' + world["alpha"].slug + '"')
    assert (office["responses"], office["csat"], office["target"], office["verdict"]) == (
        "112",
        "92.9%",
        "80.0%",
        "Met",
    )
    assert office["weekly-target"] == "10"  # 5 for each of its two locations
    b1 = cells(body, 'data-code="B-1"')
    assert (b1["responses"], b1["target"], b1["verdict"], b1["weekly-verdict"]) == (
        "3",
        "not set",
        "No target",
        "No target",
    )
    assert "Office total" in body


def test_weekly_responses_of_a_past_quarter(client, world, this_quarter):
    last = this_quarter.previous()
    assert sign_in(client, "admin@example.gov").status_code == 302
    body = client.get(f"/admin/standards?quarter={str(last).lower()}").get_data(as_text=True)
    assert f'<option value="{last}" selected>' in body
    a1 = cells(body, 'data-code="A-1"')
    weeks = ((last.end - last.start).days + 1) / 7
    assert (a1["responses"], a1["csat"], a1["verdict"]) == ("80", "50.0%", "Not met")  # interval tops out at 61 %
    assert a1["weekly"] == f"{80 / weeks:.1f}"  # 80 over the whole quarter's 13 weeks: about 6 a week
    assert a1["weekly-verdict"] == "Met"
    a2 = cells(body, 'data-code="A-2"')
    assert (a2["responses"], a2["verdict"], a2["weekly"], a2["weekly-verdict"]) == (
        "0",
        "No responses",
        "0.0",
        "Not met",
    )


def test_manager_sees_only_their_location(client, world):
    assert sign_in(client, "manager@example.gov").status_code == 302
    body = client.get("/admin/standards").get_data(as_text=True)
    assert 'data-code="A-1"' in body
    assert "A-2" not in body and "B-1" not in body and "Bravo" not in body
    assert "Your locations" in body and "Office total" not in body  # the sum covers A-1 only
    office = cells(body, 'data-office="' + world["alpha"].slug + '"')
    assert office["responses"] == "12" and office["weekly-target"] == "5"


@pytest.mark.parametrize("bad", ["2027Q1", "FY2027Q5", "FY0001Q1", "FY27Q1", "x" * 200])
def test_invalid_quarter_is_400(client, world, bad):
    assert sign_in(client, "admin@example.gov").status_code == 302
    assert client.get("/admin/standards", query_string={"quarter": bad}).status_code == 400


def test_future_quarter_and_sign_in_required(client, world, this_quarter):
    assert client.get("/admin/standards").status_code == 302  # to the sign-in page
    assert sign_in(client, "admin@example.gov").status_code == 302
    future = this_quarter.next()
    body = client.get(f"/admin/standards?quarter={future}").get_data(as_text=True)
    assert "This quarter has not started." in body
    assert cells(body, 'data-code="A-1"')["weekly-verdict"] == "Not started"


def test_scoreboard_link_for_published_offices(client, session, world):
    with write_transaction(session):
        session.get(Office, world["alpha"].id).scoreboard_public = True
    assert sign_in(client, "admin@example.gov").status_code == 302
    body = client.get("/admin/standards").get_data(as_text=True)
    assert f'href="/scores/{world["alpha"].slug}"' in body
    assert f'href="/scores/{world["bravo"].slug}"' not in body
