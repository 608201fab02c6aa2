"""The rules under the open-data feeds, without a client: the one withholding rule, the quarters a
feed covers, the published target's form, and the settings the catalog needs (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback.config import load_config
from feedback.database import write_transaction
from feedback.models import Office
from feedback.services import open_data, standards
from feedback.services.fiscal import FiscalQuarter
from tests.helpers.responses import put


@pytest.mark.parametrize(
    ("responses", "minimum", "reason"),
    [
        (0, 10, "no_responses"),
        (1, 10, "too_few_responses"),
        (9, 10, "too_few_responses"),
        (10, 10, None),
        (0, 0, "no_responses"),
        (1, 1, None),
    ],
)
def test_withheld_below_the_minimum(responses, minimum, reason):
    assert standards.withheld(responses, minimum) == reason


def test_quarters_are_the_office_s_local_ones_oldest_first(build):
    office = build.office("Honolulu Office", "Pacific/Honolulu")
    # 1 October 2026 05:00 UTC is still 30 September in Honolulu: FY2026Q4 there
    quarters = open_data.quarters_for(office, datetime(2026, 10, 1, 5, tzinfo=UTC), 3)
    assert [str(q) for q in quarters] == ["FY2026Q2", "FY2026Q3", "FY2026Q4"]


@pytest.mark.parametrize(("share", "published"), [(0.8, 80), (0.855, 85.5), (0.9, 90), (None, None)])
def test_target_as_published(share, published):
    value = open_data._target(share)
    assert value == published and type(value) is type(published)


def test_feed_rows_from_the_service(session, build):
    office = build.office("Austin Office", "America/Chicago")
    counter = build.location("AUS-1", office=office)
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = True
    quarter = FiscalQuarter.parse("FY2027Q1")
    put(session, counter, [5] * 9 + [1], quarter.start)
    stored = session.get(Office, office.id)
    feed = open_data.feed(session, stored, now=datetime(2026, 12, 15, 18, tzinfo=UTC), min_responses=10, quarters=2)
    assert [str(q) for q in feed.quarters] == ["FY2026Q4", "FY2027Q1"]
    assert [(r.fiscal_quarter, r.level, r.responses, r.satisfied_percent, r.withheld_reason) for r in feed.rows] == [
        ("FY2026Q4", "counter", 0, None, "no_responses"),
        ("FY2026Q4", "office", 0, None, "no_responses"),
        ("FY2027Q1", "counter", 10, 90, None),
        ("FY2027Q1", "office", 10, 90, None),
    ]
    assert open_data.to_csv(feed).splitlines()[0] == ",".join(open_data.FIELDS)
    assert open_data.publishing_offices(session) == [stored]


def test_open_data_settings_have_safe_defaults_and_are_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("OPEN_DATA_BUREAU_CODE", "OPEN_DATA_PROGRAM_CODE", "OPEN_DATA_CONTACT_EMAIL", "OPEN_DATA_QUARTERS"):
        monkeypatch.delenv(name, raising=False)
    config = load_config()
    assert (config["OPEN_DATA_BUREAU_CODE"], config["OPEN_DATA_PROGRAM_CODE"]) == ("000:00", "000:000")
    assert config["OPEN_DATA_QUARTERS"] == 8
    for name, bad in (
        ("OPEN_DATA_BUREAU_CODE", "14:05"),
        ("OPEN_DATA_PROGRAM_CODE", "014:01"),
        ("OPEN_DATA_CONTACT_EMAIL", "cx@localhost"),
    ):
        monkeypatch.setenv(name, bad)
        with pytest.raises(RuntimeError, match=name):
            load_config()
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPEN_DATA_BUREAU_CODE", "014:05")
    assert load_config()["OPEN_DATA_BUREAU_CODE"] == "014:05"
