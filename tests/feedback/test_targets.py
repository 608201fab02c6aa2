"""Item 6 of issue 12: every page uses the effective CSAT target (the counter's own, else its office's).

Before the fix the location page and the comparison read ``Location.csat_target`` alone: a counter
without a target of its own showed "not set" there while the standards page, the alerts and the
scoreboard judged it against its office's target. Both tests fail on the code before the fix.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services import comparison, dashboard, standards
from feedback.services.fiscal import FiscalQuarter
from feedback.sqltypes import utcnow
from tests.admin.conftest import sign_in
from tests.helpers.responses import put


@pytest.fixture
def offices(session, build, make_user):
    """An office with target 90 %: T-1 without a target of its own (inherits 90 %), T-2 with its own
    70 %. Both have 8 positive of 10 today (80 %): T-1 is below its target, T-2 above."""
    office = build.office("Target Office", "America/Chicago")
    t1 = build.location("T-1", office=office)
    t2 = build.location("T-2", office=office)
    with write_transaction(session):
        session.get(Office, office.id).csat_target = 0.9
        session.get(Location, t2.id).csat_target = 0.7
    today = datetime.now(UTC).astimezone(office.tz).date()
    for loc in (t1, t2):
        put(session, loc, [5] * 8 + [1] * 2, today, hour=0)
    make_user("admin@example.gov", "admin")
    return t1, t2, today


def test_dashboard_services_use_the_office_target_when_the_counter_has_none(session, offices):
    t1, t2, today = offices
    assert dashboard.location_report(session, t1, today, today).target == 0.9
    assert dashboard.location_report(session, t2, today, today).target == 0.7
    rows = {r.location.code: r for r in comparison.compare(session, [t1, t2], today, today)}
    assert (rows["T-1"].target, rows["T-1"].below_target) == (0.9, True)
    assert (rows["T-2"].target, rows["T-2"].below_target) == (0.7, False)
    # The same target as the standards page (and so alerts and the scoreboard).
    quarter = FiscalQuarter.of(today)
    [office_rows] = standards.report(session, [t1, t2], [quarter], now=utcnow())
    assert {r.location.code: r.standings[quarter].target for r in office_rows.locations} == {"T-1": 0.9, "T-2": 0.7}


def test_location_page_and_comparison_show_the_inherited_target(client, offices):
    _t1, _t2, today = offices
    assert sign_in(client, "admin@example.gov").status_code == 302
    page = client.get(f"/admin/locations/T-1?from={today}&to={today}").get_data(as_text=True)
    assert re.search(r'data-figure="target">90\.0%<', page)
    assert "data-below-target" in page
    assert "with the CSAT target" in page  # the trend chart draws the target line
    compare = client.get(f"/admin/compare?from={today}&to={today}").get_data(as_text=True)
    row = compare[compare.index('data-code="T-1"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r'data-col="target">90\.0%<', row) and "data-below-target" in row
