"""Issue 12, items 1-5 on the demo data, read as an agency gets the files: ``flask export a11``.

Only interfaces that existed before this change are used here (the demo loader, the command, the
models), and Touchpoints' rules are restated in ``tests.reporting.touchpoints_check``, so this test
ran on the code before the change and failed there on each point: one combined responses file with
a ``warning`` column (header set refused, item 2), thumbs exported as the stored 1/2 (item 1),
``kiosk``/``qr`` and office-counter names as channel and transaction point (item 3), and the passport
counters' 4-face answers and the satisfaction questions exported as question 1 (items 4 and 5).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from feedback.models import Location, Response, SurveyVersion
from feedback.services import demo
from tests.reporting.touchpoints_check import CHANNELS, check_collection_row, check_upload, upload_rows


def _rows(data: bytes) -> list[dict[str, str]]:
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_demo_files_are_what_touchpoints_accepts(runner, session, tmp_path):
    assert demo.load(session, weeks=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC))["responses"] > 0
    result = runner.invoke(args=["export", "a11", "--quarter", "FY2027Q1", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    uploads = {name: data for name, data in files.items() if "responses" in name}
    [collection] = [_rows(data) for name, data in files.items() if "collection" in name]

    # Item 2: one upload per collection detail, each with exactly Touchpoints' header set.
    assert len(uploads) == len(collection) == 4  # claims and information desk, kiosk and phone each
    for name, data in uploads.items():
        upload_rows(name, data)
    # Item 3: the collection rows in Touchpoints' vocabulary.
    for row in collection:
        check_collection_row(row)
    assert {row["channel"] for row in collection} == {"self_service_kiosk", "mobile"} <= CHANNELS

    # The responses behind each upload, by id: location, scale and stored rating.
    stored = {
        str(rid): (code, scale, rating)
        for rid, code, scale, rating in session.execute(
            select(Response.id, Location.code, SurveyVersion.scale, Response.rating)
            .join(Location, Location.id == Response.location_id)
            .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        )
    }
    by_type = {row["survey_type"] for row in collection}
    assert by_type == {"likert_scale", "thumbs_up_down"}
    seen_scales = set()
    for name, data in uploads.items():
        rows = upload_rows(name, data)
        scales = {stored[r["external_id"]][1] for r in rows}
        assert len(scales) == 1, name  # one file, one scale
        [scale] = scales
        seen_scales.add(scale)
        check_upload(name, data, "thumbs_up_down" if scale == "thumbs" else "likert_scale")
        for r in rows:
            code, _scale, rating = stored[r["external_id"]]
            # Items 4 and 5: only the New York office's A-11 template answers, never the passport
            # counters' 4 faces.
            assert code.startswith("NYC-"), (name, code)
            # Item 1: thumbs stored 2 (up) / 1 (down) are 1 / 0; the 5-point scale as stored.
            assert r["question_1"] == ({2: "1", 1: "0"}[rating] if scale == "thumbs" else str(rating))
    assert seen_scales == {"thumbs", "faces5"}
    assert "HOU-C1" in result.output and "4-point scale cannot be reported as A-11 question 1" in result.output
