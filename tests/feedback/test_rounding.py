"""Item 12 of issue 12: one rounding rule, half up, on pages, scoreboard, e-mail, API and CSV.

13 positive answers of 16 are 81.25 %: people and spreadsheets read 81.3 %, and so must every page.
Before the fix the admin pages (Babel) and the public scoreboard rounded half to even (81.2 %, and
1 of 8 = 12.5 % showed as 12 %), the read API and the aggregate CSV rounded the binary float
(1/32 = 0.03125 gave 0.0312), and the alert e-mail used ``:.1f`` (3/80 = 3.75 % gave 3.7 %).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from feedback import numbers
from feedback.database import write_transaction
from feedback.models import Office
from feedback.services import aggregation
from feedback.services.alerts import _pct
from feedback.services.fiscal import FiscalQuarter
from tests.admin.conftest import sign_in
from tests.helpers.responses import put

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("share", "places", "expected"),
    [
        (13 / 16, 1, "81.3"),  # 81.25: half up, not to even
        (Fraction(13, 16), 1, "81.3"),
        (3 / 80, 1, "3.8"),  # 3.75 %, stored as 0.0374999...: the decimal the float stands for
        (1 / 8, 0, "13"),  # 12.5 %
        (1 / 3, 1, "33.3"),
        (2 / 3, 1, "66.7"),
        (1.0, 1, "100.0"),
        (0.0, 0, "0"),
    ],
)
def test_percent_rounds_half_up(share, places, expected):
    assert numbers.percent(share, places) == Decimal(expected)


def test_half_up_is_away_from_zero_for_negative_ties():
    assert numbers.half_up(-0.125, 2) == Decimal("-0.13")  # a CSAT change of -12.5 points
    assert numbers.half_up(0.125, 2) == Decimal("0.13")


def test_format_percent_keeps_the_locale_pattern():
    assert numbers.format_percent(13 / 16, 1, "en") == "81.3%"
    assert numbers.format_percent(13 / 16, 1, "es") == "81,3\xa0%"
    assert numbers.format_percent(1 / 8, 0, "en") == "13%"
    assert numbers.format_percent(None) == "\u2014"


@pytest.fixture
def sixteen(session, build, make_user):
    """One Chicago counter with 13 positive answers of 16 today (81.25 %), target 81.25 % on its
    office; an admin."""
    office = build.office("Rounding Office", "America/Chicago")
    location = build.location("RND-1", office=office)
    with write_transaction(session):
        stored = session.get(Office, office.id)
        stored.csat_target = 0.8125
        stored.scoreboard_public = True
    today = datetime.now(UTC).astimezone(CHICAGO).date()
    put(session, location, [5] * 13 + [1] * 3, today, hour=0)  # midnight local: today whatever the hour
    make_user("admin@example.gov", "admin")
    return location, today


def _text(body: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_location_page_standards_page_and_comparison_show_81_3(client, sixteen):
    location, today = sixteen
    assert sign_in(client, "admin@example.gov").status_code == 302
    page = client.get(f"/admin/locations/{location.code}?from={today}&to={today}").get_data(as_text=True)
    assert re.search(r'data-figure="csat">81\.3%<', page), _text(page)[:2000]
    compare = client.get(f"/admin/compare?from={today}&to={today}").get_data(as_text=True)
    assert re.search(r'data-col="csat">81\.3%<', compare)
    quarter = FiscalQuarter.of(today)
    standards = client.get(f"/admin/standards?quarter={quarter}").get_data(as_text=True)
    assert re.search(r'data-col="csat">81\.3%<', standards)


def test_public_scoreboard_rounds_half_up(client, session, build, monkeypatch):
    """1 positive of 8 is 12.5 %: the scoreboard (whole percentages) shows 13 %, not 12 %."""
    office = build.office("Scoreboard Rounding", "America/Chicago")
    location = build.location("RND-2", office=office)
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = True
    today = datetime.now(UTC).astimezone(CHICAGO).date()
    put(session, location, [5] + [1] * 7, today, hour=0)
    monkeypatch.setitem(client.application.config, "SCOREBOARD_MIN_RESPONSES", 1)
    body = client.get(f"/scores/{office.slug}").get_data(as_text=True)
    assert '<span class="figure">13%</span>' in body


def test_read_api_and_aggregate_csv_round_half_up(session, build):
    """1 of 32 positive: CSAT 0.03125 -> 0.0313 in the API's JSON (and so in the aggregate CSV)."""
    location = build.location("RND-3")
    day = datetime.now(UTC).astimezone(location.office.tz).date() - timedelta(days=1)
    put(session, location, [5] + [1] * 31, day)
    total = aggregation.summarize(session, [location.id], day, day)["total"]
    assert total["csat"] == 0.0313
    # 32 ratings summing to 5 + 31 = 36: mean 1.125 -> 1.125 (4 places, no tie), and the
    # mean rule is the same function.
    assert total["mean"] == 1.125


def test_alert_email_text_rounds_half_up():
    assert _pct(3 / 80) == "3.8 %"
    assert _pct(13 / 16) == "81.3 %"
