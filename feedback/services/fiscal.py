"""Federal fiscal quarters: FY2027 runs from 1 October 2026 to 30 September 2027.

Quarters are spans of local dates; each office's responses fall into them by
their local date in the office's time zone (the rollups are keyed that way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PATTERN = re.compile(r"^FY(\d{4})Q([1-4])$", re.IGNORECASE)
# Fiscal years a parsed quarter may name: FY0001Q1 would start in year 0, which ``date`` cannot hold.
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 1900, 2999


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    fiscal_year: int
    quarter: int  # 1..4

    @classmethod
    def parse(cls, text: str) -> FiscalQuarter:
        """``FY2027Q1`` (case does not matter, fiscal years 1900-2999); raises ValueError otherwise."""
        match = _PATTERN.match(text.strip())
        if not match or not MIN_FISCAL_YEAR <= int(match.group(1)) <= MAX_FISCAL_YEAR:
            raise ValueError(f"{text!r} is not a fiscal quarter like FY2027Q1.")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> FiscalQuarter:
        """The quarter a local date falls in."""
        fiscal_year = day.year + 1 if day.month >= 10 else day.year
        quarter = ((day.month - 10) % 12) // 3 + 1
        return cls(fiscal_year, quarter)

    @property
    def start(self) -> date:
        """First local date of the quarter."""
        month = (self.quarter - 1) * 3 + 10
        year = self.fiscal_year - 1
        if month > 12:
            month -= 12
            year += 1
        return date(year, month, 1)

    @property
    def end(self) -> date:
        """Last local date of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> FiscalQuarter:
        return (
            FiscalQuarter(self.fiscal_year + 1, 1)
            if self.quarter == 4
            else FiscalQuarter(self.fiscal_year, self.quarter + 1)
        )

    def previous(self) -> FiscalQuarter:
        return (
            FiscalQuarter(self.fiscal_year - 1, 4)
            if self.quarter == 1
            else FiscalQuarter(self.fiscal_year, self.quarter - 1)
        )

    def report_due(self) -> date:
        """A-11 Section 280 data is due within 30 days of the quarter's end."""
        return self.end + timedelta(days=30)

    def __str__(self) -> str:
        return f"FY{self.fiscal_year}Q{self.quarter}"
