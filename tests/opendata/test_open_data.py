"""Open data (issue 17): each publishing office's scoreboard figures as CSV and JSON, with the
scoreboard's withholding rule, and /data.json, a DCAT-US v1.1 catalog a data.gov harvester reads."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from feedback.database import write_transaction
from feedback.models import Location, Office
from feedback.services import open_data
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import wilson_interval
from kiosk_app.scoreboard import page_cache
from tests.helpers.responses import put

SCHEMA = json.loads((Path(__file__).with_name("dcat_us_v1_1_schema.json")).read_text())
# Counter 2 has 2 positive of 7 this quarter: 28.571...%, likely range about 8% to 64%.
WITHHELD = wilson_interval(2, 7)


def validate(catalog: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(catalog)


@pytest.fixture(autouse=True)
def _fresh_page_cache(app):
    page_cache(app).clear()
    yield
    page_cache(app).clear()


@pytest.fixture
def this_quarter():
    return FiscalQuarter.of(datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")).date())


@pytest.fixture
def offices(session, build, this_quarter):
    """A publishing Chicago office (target 80 %): Counter 1 with 40 answers (34 positive) this quarter
    and 20 last quarter, Counter 2 with 7 this quarter (2 positive: below the minimum of 10), a
    switched-off Counter 3; and a Dallas office that does not publish."""
    chicago = build.office("Chicago Passport Agency", "America/Chicago")
    c1 = build.location("CHI-1", office=chicago)
    c2 = build.location("CHI-2", office=chicago)
    c3 = build.location("CHI-3", office=chicago)
    dallas = build.office("Dallas Passport Agency", "America/Chicago")
    d1 = build.location("DAL-1", office=dallas)
    with write_transaction(session):
        stored = session.get(Office, chicago.id)
        stored.scoreboard_public, stored.csat_target = True, 0.8
        session.get(Location, c1.id).name = "Counter 1 - Applications"
        session.get(Location, c2.id).name = "Counter 2 - Renewals"
        session.get(Location, c3.id).active = False
    put(session, c1, [5] * 30 + [4] * 4 + [1] * 6, this_quarter.start)
    put(session, c1, [5] * 10 + [2] * 10, this_quarter.previous().start)
    put(session, c2, [5, 5, 1, 1, 1, 1, 2], this_quarter.start)
    put(session, c3, [1] * 30, this_quarter.start)
    put(session, d1, [5] * 30, this_quarter.start)
    return {"chicago": chicago, "dallas": dallas}


def rows_of(body: dict, code: str | None, quarter: FiscalQuarter) -> dict:
    (row,) = [r for r in body["rows"] if r["counter_code"] == code and r["fiscal_quarter"] == str(quarter)]
    return row


def assert_nothing_withheld_in(text: str) -> None:
    """No form of Counter 2's share or range in the raw text of a feed."""
    for share in (2 / 7, WITHHELD.low, WITHHELD.high):
        for form in (f"{share:.4f}", f"{share * 100:.2f}", f"{share * 100:.1f}"):
            assert form not in text, form
    # the whole percents 29, 8 and 64 as a value of any figure
    assert not re.search(r'_percent": (29|8|64)\b', text)
    assert not re.search(r"(^|,)(29|8|64)(,|$)", text.replace("\r\n", "\n"), re.M)


def test_json_feed_publishes_the_scoreboard_figures_and_withholds_small_counts(client, offices, this_quarter):
    slug = offices["chicago"].slug
    response = client.get(f"/scores/{slug}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    text = response.get_data(as_text=True)
    body = json.loads(text)
    assert body["office"] == {"slug": slug, "name": "Chicago Passport Agency", "timezone": "America/Chicago"}
    assert body["min_responses"] == 10 and body["fields"] == list(open_data.FIELDS)
    assert body["quarters"][-1] == str(this_quarter) and len(body["quarters"]) == 8

    c1 = rows_of(body, "CHI-1", this_quarter)
    interval = wilson_interval(34, 40)
    assert c1 == {
        "office_slug": slug,
        "office_name": "Chicago Passport Agency",
        "level": "counter",
        "counter_code": "CHI-1",
        "counter_name": "Counter 1 - Applications",
        "fiscal_quarter": str(this_quarter),
        "quarter_start": this_quarter.start.isoformat(),
        "quarter_end": this_quarter.end.isoformat(),
        "quarter_state": "current",
        "responses": 40,
        "satisfied_percent": 85,
        "likely_low_percent": round(interval.low * 100),
        "likely_high_percent": round(interval.high * 100),
        "target_percent": 80,
        "result": "meets_target",
        "withheld": False,
        "withheld_reason": None,
    }
    c2 = rows_of(body, "CHI-2", this_quarter)
    assert c2["responses"] == 7 and c2["withheld"] is True and c2["withheld_reason"] == "too_few_responses"
    assert c2["satisfied_percent"] is c2["likely_low_percent"] is c2["likely_high_percent"] is c2["result"] is None
    last = rows_of(body, "CHI-2", this_quarter.previous())
    assert (last["responses"], last["withheld_reason"], last["satisfied_percent"]) == (0, "no_responses", None)
    assert rows_of(body, "CHI-1", this_quarter.previous())["quarter_state"] == "past"
    # the office as a whole: 36 of 47, as on the page; the switched-off counter is left out
    total = rows_of(body, None, this_quarter)
    assert (total["level"], total["responses"], total["satisfied_percent"]) == ("office", 47, 77)
    assert all(r["counter_code"] != "CHI-3" for r in body["rows"])
    assert len(body["rows"]) == 8 * 3
    assert_nothing_withheld_in(text)


def test_csv_feed_has_a_header_and_the_same_rows(client, offices, this_quarter):
    slug = offices["chicago"].slug
    response = client.get(f"/scores/{slug}/data.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    raw = response.get_data()
    text = raw.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(open_data.FIELDS)
    as_json = client.get(f"/scores/{slug}/data.json").get_json()["rows"]
    assert len(rows) == len(as_json)
    for got, want in zip(rows, as_json, strict=True):
        for name in open_data.FIELDS:
            value = want[name]
            expected = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
            assert got[name] == expected, (name, got, want)
    (c2,) = [r for r in rows if r["counter_code"] == "CHI-2" and r["fiscal_quarter"] == str(this_quarter)]
    assert (c2["responses"], c2["satisfied_percent"], c2["result"], c2["withheld"]) == ("7", "", "", "true")
    assert_nothing_withheld_in(text)


def test_feeds_follow_the_scoreboard_minimum(app, client, offices, this_quarter, monkeypatch):
    """One rule for the page and the feeds: with a minimum of 7, Counter 2's share is published."""
    monkeypatch.setitem(app.config, "SCOREBOARD_MIN_RESPONSES", 7)
    body = client.get(f"/scores/{offices['chicago'].slug}/data.json").get_json()
    c2 = rows_of(body, "CHI-2", this_quarter)
    assert (c2["satisfied_percent"], c2["withheld"], c2["result"]) == (29, False, "below_target")
    page_cache(app).clear()
    page = client.get(f"/scores/{offices['chicago'].slug}?lang=en").get_data(as_text=True)
    assert "29%" in page
    monkeypatch.setitem(app.config, "SCOREBOARD_MIN_RESPONSES", 8)
    page_cache(app).clear()
    page = client.get(f"/scores/{offices['chicago'].slug}?lang=en").get_data(as_text=True)
    assert "29%" not in page and "Not enough responses yet" in page
    assert rows_of(client.get(f"/scores/{offices['chicago'].slug}/data.json").get_json(), "CHI-2", this_quarter)[
        "withheld"
    ]


def test_unpublished_or_unknown_office_is_404(client, offices):
    for slug in (offices["dallas"].slug, "no-such-office"):
        for suffix in ("data.csv", "data.json"):
            assert client.get(f"/scores/{slug}/{suffix}").status_code == 404


def test_feeds_are_cacheable(client, offices):
    url = f"/scores/{offices['chicago'].slug}/data.csv"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_catalog_validates_and_lists_exactly_the_publishing_offices(app, client, session, build, offices):
    other = build.office("Houston Passport Agency", "America/Chicago")
    build.location("HOU-1", office=other)
    with write_transaction(session):
        session.get(Office, other.id).scoreboard_public = True
    response = client.get("/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    catalog = response.get_json()
    validate(catalog)
    assert catalog["@id"] == "http://localhost/data.json"
    datasets = catalog["dataset"]
    assert [d["landingPage"] for d in datasets] == [
        f"http://localhost/scores/{offices['chicago'].slug}",
        f"http://localhost/scores/{other.slug}",
    ]
    assert len({d["identifier"] for d in datasets}) == 2
    fetched = 0
    for dataset in datasets:
        assert dataset["bureauCode"] == ["000:00"] and dataset["programCode"] == ["000:000"]
        assert dataset["accrualPeriodicity"] == "R/P3M" and dataset["accessLevel"] == "public"
        assert {d["format"] for d in dataset["distribution"]} == {"CSV", "JSON"}
        for distribution in dataset["distribution"]:
            got = client.get(distribution["downloadURL"])
            assert got.status_code == 200, distribution["downloadURL"]
            assert got.mimetype == distribution["mediaType"]
            assert_nothing_withheld_in(got.get_data(as_text=True))
            fetched += 1
    assert fetched == 4
    assert "Dallas" not in response.get_data(as_text=True)


def test_catalog_settings_come_from_the_config(app, client, offices, monkeypatch):
    for name, value in {
        "OPEN_DATA_PUBLISHER": "U.S. Department of State",
        "OPEN_DATA_CONTACT_NAME": "CX team",
        "OPEN_DATA_CONTACT_EMAIL": "cx@state.example.gov",
        "OPEN_DATA_BUREAU_CODE": "014:05",
        "OPEN_DATA_PROGRAM_CODE": "014:001",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    (dataset,) = client.get("/data.json").get_json()["dataset"]
    assert dataset["publisher"] == {"@type": "org:Organization", "name": "U.S. Department of State"}
    assert dataset["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "CX team",
        "hasEmail": "mailto:cx@state.example.gov",
    }
    assert (dataset["bureauCode"], dataset["programCode"]) == (["014:05"], ["014:001"])


def test_catalog_without_publishing_offices_is_valid_and_empty(client, build):
    build.office("Quiet Office", "America/Chicago")
    catalog = client.get("/data.json").get_json()
    validate(catalog)
    assert catalog["dataset"] == []


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.pop("contactPoint"),
        lambda d: d.update(bureauCode=["14:5"]),
        lambda d: d.update(programCode=[]),
        lambda d: d.update(keyword=[]),
        lambda d: d.update(accessLevel="open"),
        lambda d: d["contactPoint"].update(hasEmail="cx@state.gov"),
        lambda d: d.update(modified="last week"),
        lambda d: d["distribution"][0].pop("mediaType"),
    ],
)
def test_the_schema_copy_rejects_what_the_official_one_does(client, offices, spoil):
    catalog = client.get("/data.json").get_json()
    spoil(catalog["dataset"][0])
    with pytest.raises(jsonschema.ValidationError):
        validate(catalog)
