"""Scales in the A-11 exports: faces5 and thumbs are A-11 scales; faces4 and three are exported with
their own ratings and a warning column, never mapped onto 1..5 silently."""

from __future__ import annotations

from feedback.database import write_transaction
from feedback.services import a11, org
from feedback.services.fiscal import FiscalQuarter
from tests.reporting.conftest import F6, read_csv, store, uid

Q1 = FiscalQuarter.parse("FY2027Q1")
FACES4_WARNING = "Scale faces4 (4 points) is not an A-11 Section 280 scale; rating not mapped"


def _place(build, session, code, scale, office):
    location = build.location(code=code, office=office, scale=scale, followup=F6)
    return location, location.survey.current_version()


def test_faces4_rows_get_a_warning_column_and_keep_their_own_rating(build, session):
    office = build.office(name="Miami Passport Agency", tz="America/New_York")
    p1, p1_version = _place(build, session, "MIA-P1", "faces4", office)
    a1, a1_version = _place(build, session, "MIA-A1", "faces5", office)
    store(
        session,
        p1,
        p1_version,
        [((2026, 10, 5, 9, 0), "kiosk", 3, F6, ["ease"]), ((2026, 10, 5, 9, 30), "kiosk", 2, F6, [])],
        start=1,
    )
    store(session, a1, a1_version, [((2026, 10, 5, 9, 15), "kiosk", 5)], start=3)

    rows = read_csv("".join(a11.response_csv(session, [p1.id, a1.id], Q1)))
    assert rows[0] == [*a11.RESPONSE_COLUMNS, "warning"]
    assert [(r[0], r[1], r[-1]) for r in rows[1:]] == [
        (str(uid(1)), "3", FACES4_WARNING),  # 3 of 4 faces stays 3, with the warning
        (str(uid(3)), "5", ""),  # faces5: an A-11 scale, no warning
        (str(uid(2)), "2", FACES4_WARNING),
    ]
    # 3 is positive on faces4 (top two), so the positive cells are filled: ease chosen.
    assert rows[1][2:16] == ["0", "1", "0", "0", "0", "0", ""] + [""] * 7
    assert rows[3][2:16] == [""] * 7 + ["0"] * 6 + [""]

    collection = {
        row.location.code: dict(zip(a11.COLLECTION_COLUMNS, row.cells()))
        for row in a11.collection(session, [p1.id, a1.id], Q1)
    }
    faces4 = collection["MIA-P1"]
    assert faces4["survey_type"] == "4-point scale"
    assert [faces4[f"q1_{k}"] for k in range(1, 6)] == [0, 1, 1, 0, None]  # q1_5 empty: no fifth face
    assert faces4["warning"] == FACES4_WARNING
    assert collection["MIA-A1"]["warning"] == ""
    assert [collection["MIA-A1"][f"q1_{k}"] for k in range(1, 6)] == [0, 0, 0, 0, 1]


def test_three_faces_warn_too_and_the_csv_header_says_so(build, session):
    location, version = _place(build, session, "THR-1", "three", build.office(tz="America/Denver"))
    store(session, location, version, [((2026, 12, 1, 10, 0), "qr", 1)])
    rows = read_csv("".join(a11.response_csv(session, [location.id], Q1)))
    assert (
        rows[0][-1] == "warning"
        and rows[1][-1] == "Scale three (3 points) is not an A-11 Section 280 scale; rating not mapped"
    )
    text = a11.collection_csv(a11.collection(session, [location.id], Q1))
    row = dict(zip(a11.COLLECTION_COLUMNS, read_csv(text)[1]))
    assert (row["survey_type"], row["q1_1"], row["q1_3"], row["q1_4"], row["q1_5"]) == (
        "3-point scale",
        "1",
        "0",
        "",
        "",
    )


def test_thumbs_is_an_a11_scale_with_two_rating_columns(build, session):
    office = build.office(tz="America/Chicago")
    location, version = _place(build, session, "THU-1", "thumbs", office)
    store(
        session,
        location,
        version,
        [
            ((2026, 10, 2, 9, 0), "kiosk", 2, F6, ["employee"]),
            ((2026, 10, 2, 9, 5), "kiosk", 1, F6, ["efficiency"]),
            ((2026, 10, 2, 9, 10), "kiosk", 2),
        ],
    )
    rows = read_csv("".join(a11.response_csv(session, [location.id], Q1)))
    assert rows[0] == list(a11.RESPONSE_COLUMNS)  # no warning column
    assert [r[1] for r in rows[1:]] == ["2", "1", "2"]
    row = dict(zip(a11.COLLECTION_COLUMNS, a11.collection(session, [location.id], Q1)[0].cells()))
    assert (row["survey_type"], row["volume_of_respondents"]) == ("Thumbs up/down", 3)
    assert [row[f"q1_{k}"] for k in range(1, 6)] == [1, 2, None, None, None]
    assert (row["positive_employee"], row["negative_efficiency"], row["warning"]) == (1, 1, "")


def test_a_scale_change_within_the_quarter_is_noted(build, session):
    office = build.office(tz="America/Chicago")
    location, v1 = _place(build, session, "CHG-1", "faces5", office)
    with write_transaction(session):
        v2 = org.add_survey_version(
            session, location.survey, scale="faces4", question={"en": "How did we do?"}, followup_choices=F6
        )
    store(session, location, v1, [((2026, 10, 2, 9, 0), "kiosk", 5), ((2026, 10, 2, 9, 5), "kiosk", 1)], start=1)
    store(session, location, v2, [((2026, 11, 2, 9, 0), "kiosk", 4)], start=3)
    row = dict(zip(a11.COLLECTION_COLUMNS, a11.collection(session, [location.id], Q1)[0].cells()))
    assert row["trust_question_text"] == "How did we do?"  # the newest version answered
    assert row["volume_of_respondents"] == 3
    assert [row[f"q1_{k}"] for k in range(1, 6)] == [0, 0, 0, 1, None]
    assert row["warning"] == (
        FACES4_WARNING + " | Several scales this quarter (faces4, faces5); q1_1..q1_5 count "
        "the faces4 ratings only (1 of 3 respondents)"
    )
    rows = read_csv("".join(a11.response_csv(session, [location.id], Q1)))
    assert [(r[1], r[-1]) for r in rows[1:]] == [("5", ""), ("1", ""), ("4", FACES4_WARNING)]
