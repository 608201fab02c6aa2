"""Labels, numbers and dates of the charts and dashboards, in the request's language (Flask-Babel)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import babel.dates
import babel.numbers
from flask import g
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from feedback.numbers import half_up
from feedback.scales import DRIVER_LABELS, SCALES
from feedback.services.dashboard import Bucket

WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
CHANNEL_LABELS = {"kiosk": _l("Kiosk"), "qr": _l("Phone (QR)")}
SCALE_NAMES = {
    "faces5": _l("Five faces"),
    "faces4": _l("Four faces"),
    "three": _l("Three points"),
    "thumbs": _l("Thumbs"),
}
GROUP_NAMES = {"day": _l("day"), "week": _l("week"), "month": _l("month")}  # trend buckets
NONE = "—"


# --- numbers, formatted for the request's language ---------------------------------------------


@lru_cache(maxsize=64)
def _number_pattern(pattern: str):
    return babel.numbers.parse_pattern(pattern)


class Fmt:
    """Number and date formatting for templates and charts: Babel, in one locale (the request's).

    ``Fmt(locale).percent(x)`` is what ``flask_babel.format_percent(x, "#,##0.0%")`` gives for a
    value already rounded half up (a test checks), with the locale looked up once per page, each
    pattern parsed once and each result remembered: a page with a year's charts and tables formats
    over a thousand numbers and dates, many of them the same.
    """

    def __init__(self, locale):
        self.locale = locale
        self._done: dict[tuple, str] = {}

    def _number(self, value: float, pattern: str) -> str:
        """Rounded half up (``feedback.numbers``) to the pattern's decimals first, so Babel's
        own half-to-even rounding never applies: 13/16 shows 81.3%, as in a spreadsheet."""
        key = (value, pattern)
        text = self._done.get(key)
        if text is None:
            parsed = _number_pattern(pattern)
            exact = half_up(value, parsed.frac_prec[1] + parsed.scale)
            text = self._done[key] = parsed.apply(exact, self.locale)
        return text

    def count(self, value: int | None) -> str:
        return NONE if value is None else self._number(value, "#,##0")

    def percent(self, value: float | None) -> str:
        """A share 0..1 as a percentage with one decimal: 85.3%."""
        return NONE if value is None else self._number(value, "#,##0.0%")

    def percent0(self, value: float | None) -> str:
        return NONE if value is None else self._number(value, "#,##0%")

    def mean(self, value: float | None) -> str:
        return NONE if value is None else self._number(value, "#,##0.00")

    def points(self, value: float | None) -> str:
        """A difference in percentage points, signed: +1.2."""
        return NONE if value is None else self._number(value, "+#,##0.0;-#,##0.0")

    def signed_percent(self, value: float | None) -> str:
        return NONE if value is None else self._number(value, "+#,##0%;-#,##0%")

    def signed_mean(self, value: float | None) -> str:
        return NONE if value is None else self._number(value, "+#,##0.00;-#,##0.00")

    def date(self, value: date, form: str = "medium") -> str:
        """As ``flask_babel.format_date`` (dates are local already: no time zone shift)."""
        key = (value, form)
        text = self._done.get(key)
        if text is None:
            text = self._done[key] = babel.dates.format_date(value, form, locale=self.locale)
        return text

    @staticmethod
    def trend(value: float | None) -> str:
        """up / down / flat, for an arrow and a class."""
        if value is None or abs(value) < 1e-9:
            return "flat"
        return "up" if value > 0 else "down"


def formatter() -> Fmt:
    """The formatting of this request (Flask-Babel's locale), made once per request."""
    locale = get_locale()
    fmt = g.get("dashboard_fmt")
    if fmt is None or fmt.locale != locale:
        fmt = g.dashboard_fmt = Fmt(locale)
    return fmt


def bucket_label(bucket: Bucket, group: str, short: bool = False, fmt: Fmt | None = None) -> str:
    fmt = fmt or formatter()
    if group == "day":
        return fmt.date(bucket.first, "MMM d" if short else "EEE, MMM d, y")
    if group == "week":
        if short:
            return fmt.date(bucket.first, "MMM d")
        return f"{fmt.date(bucket.first, 'MMM d, y')} – {fmt.date(bucket.last, 'MMM d, y')}"
    return fmt.date(bucket.first, "MMM y" if short else "MMMM y")


def scale_labels(scale: str) -> list[str]:
    return [gettext(label) for label in SCALES[scale].labels]


def choice_label(choice: str, polarity: str) -> str:
    positive, negative = DRIVER_LABELS.get(choice, (choice, choice))
    label = positive if polarity == "positive" else negative
    return gettext(label)
