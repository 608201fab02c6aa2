"""``flask export a11`` on the demo data, and ``flask volumes import``."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import func, select

from feedback.models import CustomerVolume, Response
from feedback.services import a11, demo
from feedback.services.fiscal import FiscalQuarter

QUARTER = FiscalQuarter.parse("FY2027Q1")


def run(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def _read(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _load_demo(session):
    """One week of demo responses, 13..19 November 2026: all in FY2027Q1, whatever today is."""
    assert demo.load(session, weeks=1, today=date(2026, 11, 20))["responses"] > 0


def test_export_a11_on_the_demo_data(runner, session, tmp_path):
    _load_demo(session)
    quarter = QUARTER
    result = run(runner, "export", "a11", "--quarter", str(quarter).lower(), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    responses_path = tmp_path / "out" / f"a11-responses-{quarter}.csv"
    collection_path = tmp_path / "out" / f"a11-collection-{quarter}.csv"
    responses, collection = _read(responses_path), _read(collection_path)

    # The passport counters use 4 faces: A-11's columns and then the warning column.
    assert responses[0] == [*a11.RESPONSE_COLUMNS, "warning"]
    assert responses[0][:17] == [
        "external_id",
        "question_1",
        "positive_effectiveness",
        "positive_ease",
        "positive_efficiency",
        "positive_transparency",
        "positive_humanity",
        "positive_employee",
        "positive_other",
        "negative_effectiveness",
        "negative_ease",
        "negative_efficiency",
        "negative_transparency",
        "negative_humanity",
        "negative_employee",
        "negative_other",
        "question_4",
    ]
    assert collection[0] == list(a11.COLLECTION_COLUMNS)
    assert all(len(row) == len(responses[0]) for row in responses)
    assert all(len(row) == len(collection[0]) for row in collection)
    assert not responses_path.read_bytes().startswith(b"\xef\xbb\xbf")

    counted = session.scalar(select(func.count()).select_from(Response).where(Response.suspect.is_(False)))
    assert len(responses) - 1 == counted > 0
    # The rollups (collection) and the responses (per-response file) agree.
    column = a11.COLLECTION_COLUMNS.index("volume_of_respondents")
    assert sum(int(row[column]) for row in collection[1:]) == counted
    assert f"Wrote {responses_path} ({counted} responses)" in result.output
    assert f"Wrote {collection_path} ({len(collection) - 1} rows)" in result.output
    # The demo enters volumes for the last quarter only, so every row of this one misses them;
    # the passport survey also has no OMB control number or Federal Register notice.
    assert f"Missing figures ({len(collection) - 1} of {len(collection) - 1} rows):" in result.output
    assert (
        "  HOU-C1 kiosk: volume_of_customers, volume_of_customers_provided_survey_opportunity, "
        "omb_control_number, federal_register_url\n" in result.output
    )
    assert "  NYC-W1 kiosk: volume_of_customers, volume_of_customers_provided_survey_opportunity\n" in result.output
    warning = a11.COLLECTION_COLUMNS.index("warning")
    by_code = {row[3].rsplit("(", 1)[1].rstrip(")") + " " + row[4]: row for row in collection[1:]}
    assert by_code["HOU-C1 kiosk"][warning].startswith("Scale faces4 (4 points) is not an A-11")
    assert by_code["NYC-W1 kiosk"][warning] == ""


def test_export_a11_for_one_office_with_a11_scales_only(runner, session, tmp_path):
    _load_demo(session)
    quarter = QUARTER
    result = run(
        runner,
        "export",
        "a11",
        "--quarter",
        str(quarter),
        "--office",
        "New York Benefits Office",
        "--output-dir",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    responses = _read(tmp_path / f"a11-responses-{quarter}.csv")
    assert responses[0] == list(a11.RESPONSE_COLUMNS)  # faces5 and thumbs: exactly A-11's header
    collection = _read(tmp_path / f"a11-collection-{quarter}.csv")
    assert {row[3].split(" \u2014 ")[0] for row in collection[1:]} == {"New York Benefits Office"}
    types = {row[3].rsplit("(", 1)[1].rstrip(")"): row[9] for row in collection[1:]}
    assert types["NYC-W1"] == "5-point scale" and types["NYC-INFO"] == "Thumbs up/down"


def test_export_a11_errors_are_clean(runner, tmp_path):
    bad = run(runner, "export", "a11", "--quarter", "2027Q1", "--output-dir", str(tmp_path))
    assert bad.exit_code == 1
    assert bad.output.strip() == "Error: Invalid --quarter: '2027Q1' is not a fiscal quarter like FY2027Q1."
    unknown = run(
        runner, "export", "a11", "--quarter", "FY2027Q1", "--office", "Nowhere", "--output-dir", str(tmp_path)
    )
    assert unknown.exit_code == 1 and "No office named 'Nowhere'" in unknown.output
    assert list(tmp_path.iterdir()) == []


def test_volumes_import_command(runner, session, build, tmp_path):
    build.location(code="HOU-C1")
    header = (
        "location_code,fiscal_year,quarter,channel,volume_of_customers,"
        "volume_of_customers_provided_survey_opportunity\n"
    )
    good = tmp_path / "good.csv"
    good.write_text(header + "HOU-C1,2027,1,kiosk,1200,1100\nHOU-C1,2027,1,qr,,300\n", encoding="utf-8")
    result = run(runner, "volumes", "import", str(good))
    assert result.exit_code == 0 and "Imported 2 rows (2 changed)." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "HOU-C1,2027,1,kiosk,1,1\nHOU-X,2027,1,kiosk,1,1\n", encoding="utf-8")
    result = run(runner, "volumes", "import", str(bad))
    assert result.exit_code == 1
    assert result.output == (
        "Error: 1 line(s) have errors; nothing was stored.\n  line 3: location_code: unknown location HOU-X.\n"
    )
    session.rollback()
    assert session.scalar(select(CustomerVolume.volume_of_customers).where(CustomerVolume.channel == "kiosk")) == 1200


def test_demo_enters_last_quarters_kiosk_volumes_for_houston_only(runner, session, tmp_path):
    _load_demo(session)
    result = run(runner, "export", "a11", "--quarter", "FY2026Q4", "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    collection = _read(tmp_path / "a11-collection-FY2026Q4.csv")
    columns = a11.COLLECTION_COLUMNS
    volumes = {
        (row[columns.index("transaction_point")].rsplit("(", 1)[1].rstrip(")"), row[columns.index("channel")]): (
            row[columns.index("volume_of_customers")],
            row[columns.index("volume_of_customers_provided_survey_opportunity")],
        )
        for row in collection[1:]
    }
    # Rows exist for points with volumes even without responses in the quarter.
    assert volumes == {(code, "kiosk"): ("5200", "4900") for code in ("HOU-C1", "HOU-C2", "HOU-C3")}
