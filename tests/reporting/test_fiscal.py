"""Federal fiscal quarters: FY2027 runs from 1 October 2026 to 30 September 2027."""

from __future__ import annotations

from datetime import date

import pytest

from feedback.services.fiscal import FiscalQuarter


def test_fy2027_q1_is_october_to_december_2026():
    q1 = FiscalQuarter.parse("FY2027Q1")
    assert (q1.fiscal_year, q1.quarter) == (2027, 1)
    assert (q1.start, q1.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q1.report_due() == date(2027, 1, 30)


def test_the_other_quarters_of_fy2027():
    q2, q3, q4 = (FiscalQuarter(2027, n) for n in (2, 3, 4))
    assert q2.start == date(2027, 1, 1) and q2.end == date(2027, 3, 31)
    assert q3.start == date(2027, 4, 1) and q3.end == date(2027, 6, 30)
    assert q4.start == date(2027, 7, 1) and q4.end == date(2027, 9, 30)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 30), "FY2026Q4"),
        (date(2026, 10, 1), "FY2027Q1"),
        (date(2026, 11, 29), "FY2027Q1"),
        (date(2026, 12, 31), "FY2027Q1"),
        (date(2027, 1, 1), "FY2027Q2"),
        (date(2027, 3, 31), "FY2027Q2"),
        (date(2027, 4, 1), "FY2027Q3"),
        (date(2027, 7, 1), "FY2027Q4"),
        (date(2027, 9, 30), "FY2027Q4"),
        (date(2027, 10, 1), "FY2028Q1"),
    ],
)
def test_of_a_date(day, expected):
    assert str(FiscalQuarter.of(day)) == expected
    quarter = FiscalQuarter.of(day)
    assert quarter.start <= day <= quarter.end


def test_next_and_previous_cross_fiscal_years():
    assert str(FiscalQuarter(2027, 4).next()) == "FY2028Q1"
    assert str(FiscalQuarter(2027, 1).previous()) == "FY2026Q4"
    assert FiscalQuarter(2027, 1).previous().end == date(2026, 9, 30)
    assert FiscalQuarter(2026, 4) < FiscalQuarter(2027, 1) < FiscalQuarter(2027, 2)


def test_parse_is_case_blind_and_trims():
    assert FiscalQuarter.parse(" fy2027q3 ") == FiscalQuarter(2027, 3)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2027Q1",
        "FY27Q1",
        "FY2027Q5",
        "FY2027Q0",
        "FY2027",
        "FY2027-Q1",
        "Q1 FY2027",
        "FY20270Q1",
        "FY0000Q1",
        "FY0001Q1",
        "FY9999Q4",
    ],
)
def test_parse_errors(text):
    with pytest.raises(ValueError, match="not a fiscal quarter like FY2027Q1"):
        FiscalQuarter.parse(text)
