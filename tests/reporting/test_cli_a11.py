"""``flask export a11`` on the demo data, and ``flask volumes import``."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from sqlalchemy import func, select

from feedback.models import CustomerVolume, Location, Response
from feedback.services import a11_files, demo
from feedback.services.fiscal import FiscalQuarter
from tests.reporting.touchpoints_check import check_collection_row, check_upload

QUARTER = FiscalQuarter.parse("FY2027Q1")


def run(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def _read(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _load_demo(session):
    """One week of demo responses, 13..19 November 2026: all in FY2027Q1, whatever today is."""
    assert demo.load(session, weeks=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC))["responses"] > 0


def test_export_a11_on_the_demo_data(runner, session, tmp_path):
    """The demo's New York office asks the A-11 template (5 points at the claims windows, thumbs at
    the information desk): one kiosk and one phone detail per service, each upload accepted by
    Touchpoints' check and holding every counted answer; the passport counters (4 faces) are left
    out with their reason."""
    _load_demo(session)
    quarter = QUARTER
    result = run(runner, "export", "a11", "--quarter", str(quarter).lower(), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    services = {"benefit-claims-and-appeals": ("NYC-W1", "NYC-W2", "NYC-W3"), "benefit-information": ("NYC-INFO",)}
    channels = {"self-service-kiosk": "kiosk", "mobile": "qr"}
    assert names == sorted(
        ["a11-FY2027Q1-collection.csv", "a11-FY2027Q1-worksheet.csv"]
        + [f"a11-FY2027Q1-responses-{s}-{c}.csv" for s in services for c in channels]
    )
    header, *collection = _read(tmp_path / "out" / "a11-FY2027Q1-collection.csv")
    assert header == list(a11_files.COLLECTION_COLUMNS)
    rows = {(r["service_name"], r["channel"]): r for r in (dict(zip(header, row, strict=True)) for row in collection)}
    assert len(rows) == 4
    for service, codes in services.items():
        for channel, ours in channels.items():
            name = f"a11-FY2027Q1-responses-{service}-{channel}.csv"
            [row] = [r for (s, c), r in rows.items() if c.replace("_", "-") == channel and _slug(s) == service]
            check_collection_row(row)
            uploaded = check_upload(name, (tmp_path / "out" / name).read_bytes(), row["survey_type"])
            counted = session.scalar(
                select(func.count())
                .select_from(Response)
                .join(Location, Location.id == Response.location_id)
                .where(
                    Location.code.in_(codes),
                    Response.channel == ours,
                    Response.suspect.is_(False),
                    Response.comment_state.is_distinct_from("spam"),
                )
            )
            assert len(uploaded) == int(row["volume_of_respondents"]) == counted > 0
            assert f"Wrote {tmp_path / 'out' / name} ({counted} rows)" in result.output
            assert row["survey_type"] == ("thumbs_up_down" if service == "benefit-information" else "likert_scale")
            assert row["cx_collection_service_provider_name"] == "Demo Benefits Administration - Field Offices"
            assert row["trust_question_text"].startswith("Based on my experience the Demo Benefits Administration")
    # The demo enters volumes for the last quarter only: this one misses them.
    assert "4 collection detail(s), 4 with problems." in result.output
    assert "Missing: volume_of_customers (NYC-W1 kiosk, NYC-W2 kiosk, NYC-W3 kiosk)" in result.output
    assert (
        "Not reported: HOU-C1 kiosk: Passport counter (version 1): its 4-point scale cannot be reported"
        in result.output
    )


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def test_export_a11_for_one_office(runner, session, tmp_path):
    _load_demo(session)
    result = run(
        runner,
        "export",
        "a11",
        "--quarter",
        str(QUARTER),
        "--office",
        "Houston Passport Agency",
        "--output-dir",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    # Houston asks no A-11 survey: no upload, an empty collection, and the worksheet says why.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a11-FY2027Q1-collection.csv", "a11-FY2027Q1-worksheet.csv"]
    assert len(_read(tmp_path / "a11-FY2027Q1-collection.csv")) == 1
    worksheet = _read(tmp_path / "a11-FY2027Q1-worksheet.csv")
    assert {row[5] for row in worksheet[1:]} == {f"HOU-C{n} {ch}" for n in (1, 2, 3) for ch in ("kiosk", "qr")}
    assert "0 collection detail(s), 0 with problems." in result.output


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


def test_demo_enters_last_quarters_kiosk_volumes(runner, session, tmp_path):
    _load_demo(session)
    result = run(runner, "export", "a11", "--quarter", "FY2026Q4", "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    header, *rows = _read(tmp_path / "a11-FY2026Q4-collection.csv")
    # The New York claims windows' kiosks: three counters, 5200 served and 4900 offered each, summed
    # into their one collection detail (a detail exists with volumes even without responses).
    [row] = [dict(zip(header, r, strict=True)) for r in rows]
    assert (row["channel"], row["volume_of_customers"], row["volume_of_customers_provided_survey_opportunity"]) == (
        "self_service_kiosk",
        "15600",
        "14700",
    )
    # Houston's volumes belong to counters whose survey is not reported: the worksheet says so.
    assert "HOU-C1 kiosk" in (tmp_path / "a11-FY2026Q4-worksheet.csv").read_text(encoding="utf-8")
