"""Touchpoints' acceptance rules, restated from its source for the tests (no production code used).

Matched GSA/touchpoints at commit 03c9abb9233f2ae246ed3835498bf71027f67a56:
``Admin::CxCollectionDetailsController#upload_csv`` (extension ``.csv`` after downcasing,
``CSV.parse(file.read, headers: true)`` and ``csv.headers.sort == [17 names].sort``),
``CxCollectionDetailUpload#process_csv`` (every data row becomes a response; the row count is the
detail's respondents), the ``CxResponseAttributes`` enums and the ``CxCollectionDetail`` form's
vocabularies. The lists are written out here again on purpose, so a slip in
``feedback.touchpoints`` cannot make both sides agree.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

UPLOAD_HEADERS = [
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
REQUIRED_DRIVER_COLUMNS = [
    f"{side}_{d}" for side in ("positive", "negative") for d in ("effectiveness", "ease", "efficiency")
]
OPTIONAL_DRIVER_COLUMNS = [
    f"{side}_{d}" for side in ("positive", "negative") for d in ("transparency", "humanity", "employee", "other")
]
QUESTION_1 = {"thumbs_up_down": {"0", "1"}, "likert_scale": {"1", "2", "3", "4", "5"}}
TRANSACTION_POINTS = {"post_interaction", "post_service_journey", "relational"}
CHANNELS = {
    "computer",
    "mobile",
    "email",
    "chatbot",
    "phone",
    "automated_phone",
    "in_person",
    "paper",
    "postal_mail",
    "fax",
    "self_service_kiosk",
    "other_non_digital",
    "website",
    "mobile_app",
    "live_chat",
    "sms_text_messages",
    "social_media",
    "other_digital",
}
SURVEY_TYPES = {"thumbs_up_down", "likert_scale"}


def upload_rows(name: str, data: bytes) -> list[dict[str, str]]:
    """What ``upload_csv`` accepts: the rows of an accepted file, or an AssertionError saying why not.

    Ruby reads the raw bytes: a UTF-8 byte-order mark stays in the first header and fails the check.
    """
    assert PurePath(name).suffix.lower() == ".csv", f"{name}: Touchpoints takes .csv files only"
    text = data.decode("utf-8")  # Ruby's CSV raises on invalid UTF-8
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, f"{name}: empty"
    headers = rows[0]
    assert sorted(headers) == sorted(UPLOAD_HEADERS), f"{name}: headers {headers}"
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def check_upload(name: str, data: bytes, survey_type: str) -> list[dict[str, str]]:
    """The upload rules plus the values ``CxResponseAttributes`` allows for this survey type."""
    rows = upload_rows(name, data)
    for row in rows:
        assert row["external_id"], row
        assert row["question_1"] in QUESTION_1[survey_type], row
        for column in REQUIRED_DRIVER_COLUMNS:
            assert row[column] in {"0", "1"}, (column, row)
        for column in OPTIONAL_DRIVER_COLUMNS:
            assert row[column] in {"0", "1", "null"}, (column, row)
    return rows


def check_collection_row(row: dict[str, str]) -> None:
    """A collection row's vocabulary fields against Touchpoints' lists."""
    assert row["transaction_point"] in TRANSACTION_POINTS, row
    assert row["channel"] in CHANNELS, row
    assert row["survey_type"] in SURVEY_TYPES, row
    assert len(row["cx_collection_fiscal_year"]) == 4 and row["cx_collection_fiscal_year"].isdigit(), row
    assert row["cx_collection_quarter"] in {"1", "2", "3", "4"}, row
    assert row["volume_of_respondents"].isdigit(), row
