"""Golden files: the exact bytes of every A-11 file of FY2027Q1 for the data set in conftest.py.

The files were generated, then reviewed line by line against ``RESPONSES`` and ``VOLUMES`` and the
Touchpoints rules (feedback/touchpoints.py); this is how each expected value follows from them.

Collection details (service provider "Department of State - Passport Services" everywhere, transaction
point ``post_interaction``), ordered by service then channel:

* Passport application / ``mobile`` (the phone answers of CHI-1 and HNL-1, one detail across both
  offices): counted 5, 6 (CHI-1 qr) and 11 (HNL-1 qr), in client-time order 5 (2 Nov 15:00 UTC), 6,
  11 (1 Jan 09:00 UTC, still 31 Dec in Honolulu). 7 is spam (spam_respondents 1). All answered A1,
  the version named (omb 1405-0001, no Federal Register notice -> missing). Served is missing at both
  counters, offered at HNL-1 -> both volumes empty and named in ``problems``.
* Passport application / ``self_service_kiosk``: counted 2, 10, 3, 13, 8 in client-time order (2 at
  1 Oct 05:10 UTC, 10 at 18:00 UTC, 3, 13 on 10 Nov, 8 at 1 Jan 00:00 UTC = 31 Dec in Chicago). Left
  out: 1 and 9 (30 September local, though 1 October in UTC), 12 (1 January local), 4 (suspect,
  suspect_respondents 1). 4 answered A3, which no counted response answered: the version named is
  A1, answered last (8, on 31 Dec), not A3 (item 8); so 1405-0001 and no notice. HNL-1 kiosk has
  no volumes -> missing.
* Passport pick-up / ``self_service_kiosk`` (CHI-2's own service): 14 thumbs up and 15 thumbs down
  -> ``question_1`` 1 and 0 (item 1), ``thumbs_up_down``; volumes 400 served, 1 offered against 2
  respondents -> "respondents > offered" (item 10).

Per-response cells: ``question_1`` is the stored rating on the 5-point scale; each driver is 1 when
chosen on the side its rating asked (4 and 5 positive, 1 to 3 negative on 5 points; up positive on
thumbs), 0 when the version offers it (the A versions offer six drivers, T1 all seven; also on the
other side, and also for 6, which was shown no follow-up), ``null`` for ``other`` on the A versions,
never empty. Comments 5 (``=HYPERLINK...``) and 11 (``+1 ...``) get a leading quote; 5 and 6 are
CSV-quoted. Kiosk answers have no comment: empty ``question_4``.

Worksheet: one row per detail (its file, counters, ``question_1`` counts in the upload's values,
suspects, spam, versions, problems), then CHI-4's kiosk and phone answers (16, 17): the 4-face
survey cannot be A-11 question 1, so they are left out with that reason (items 4 and 5).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from feedback.models import Location
from feedback.services import a11, a11_files
from feedback.services.fiscal import FiscalQuarter
from tests.reporting.conftest import read_csv
from tests.reporting.touchpoints_check import check_collection_row, check_upload

GOLDEN = Path(__file__).parent / "golden"
Q1 = FiscalQuarter.parse("FY2027Q1")


def _report(session, codes=None):
    query = select(Location.id)
    if codes:
        query = query.where(Location.code.in_(codes))
    return a11.report(session, list(session.scalars(query)), Q1)


def test_every_file_matches_its_golden_file(session, golden_world, tmp_path):
    report = _report(session)
    written = a11_files.write_folder(session, report, tmp_path)
    assert sorted(path.name for path, _rows in written) == sorted(p.name for p in GOLDEN.iterdir())
    for path, _rows in written:
        assert path.read_bytes() == (GOLDEN / path.name).read_bytes(), path.name


def test_each_upload_passes_the_touchpoints_upload_check(session, golden_world, tmp_path):
    """Header set, encoding (UTF-8, no BOM), extension, cell values; one upload per detail whose row
    count is the collection's volume_of_respondents; the collection's vocabulary fields."""
    report = _report(session)
    a11_files.write_folder(session, report, tmp_path)
    collection = read_csv((tmp_path / a11_files.collection_name(report)).read_text(encoding="utf-8"))
    header, *rows = collection
    seen: list[str] = []
    assert len(rows) == len(report.details) == 3
    for detail, cells in zip(report.details, rows, strict=True):
        row = dict(zip(header, cells, strict=True))
        check_collection_row(row)
        data = (tmp_path / detail.file_name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        uploaded = check_upload(detail.file_name, data, row["survey_type"])
        assert len(uploaded) == int(row["volume_of_respondents"]) == detail.respondents
        seen.extend(r["external_id"][-2:] for r in uploaded)
    assert sorted(seen) == ["02", "03", "05", "06", "08", "10", "11", "13", "14", "15"]  # each counted once


def test_the_quarter_before_and_after_take_the_boundary_responses(session, golden_world):
    """The responses left out of FY2027Q1 at its edges are in the neighbouring quarters."""
    ids = list(session.scalars(select(Location.id)))
    before = a11.report(session, ids, Q1.previous())
    after = a11.report(session, ids, Q1.next())
    got_before = [row[0][-2:] for d in before.details for row in a11_files.response_rows(session, d)]
    got_after = [row[0][-2:] for d in after.details for row in a11_files.response_rows(session, d)]
    assert got_before == ["01", "09"]  # 30 Sep local in Chicago, then in Honolulu (one kiosk detail)
    assert got_after == ["12"]


def test_scope_limits_every_file_and_names_the_counters_left_outside(session, golden_world):
    report = _report(session, ["HNL-1"])
    assert [(d.key.channel, d.locations) for d in report.details] == [
        ("mobile", "HNL-1 qr"),
        ("self_service_kiosk", "HNL-1 kiosk"),
    ]
    rows = [row[0][-2:] for d in report.details for row in a11_files.response_rows(session, d)]
    assert rows == ["11", "10", "13"]
    # CHI-1 reports to the same two details: the page and worksheet say to export them together.
    assert [d.elsewhere for d in report.details] == [["CHI-1 qr"], ["CHI-1 kiosk"]]
    assert any("export them together" in p for p in report.details[0].problems())
    assert a11.report(session, [], Q1).details == []
