"""One rounding rule for every figure people read: half up (away from zero on a tie).

13 positive of 16 is 81.25 %; people, and a spreadsheet opening our CSV, read it as 81.3 %.
Python's ``round`` and Babel round half to even (81.2 %), and a float such as 3/80 = 0.0375
is stored as 0.03749999..., so rounding its binary value would give 3.7 % instead of 3.8 %.
:func:`half_up` therefore rounds the shortest decimal that stands for the float (``str``),
which is the exact decimal of every share of whole counts a counter can produce.

Every page (admin charts and tables through ``admin_app.charts.Fmt``, the public scoreboard
through the ``percent`` Jinja filter), the alert e-mails and the read API / CSV exports
(``aggregation``) round through :func:`half_up`; Babel then only lays out digits that are
already rounded, so its own half-to-even rule never applies.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

import babel.numbers

NONE = "\u2014"  # an em dash for "no figure"


Number = float | int | Decimal | Fraction


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Fraction):  # a share of whole counts, exactly (to 28 digits)
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def half_up(value: Number, places: int = 0) -> Decimal:
    """``value`` rounded to ``places`` decimals, half away from zero: 0.8125 -> 0.813 (3 places)."""
    return _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rounded(value: Number | None, places: int) -> float | None:
    """:func:`half_up` as a float, for JSON and CSV numbers (None stays None)."""
    return None if value is None else float(half_up(value, places))


def percent(share: Number | None, places: int = 1) -> Decimal | None:
    """A share 0..1 as a percentage rounded half up: 13/16 -> Decimal('81.3')."""
    return None if share is None else half_up(_decimal(share).scaleb(2), places)


def percent_text(share: Number | None, places: int = 1) -> str:
    """Plain text for e-mails and logs: ``81.3 %`` (locale-independent)."""
    value = percent(share, places)
    return NONE if value is None else f"{value} %"


@lru_cache(maxsize=32)
def _percent_pattern(locale: str, places: int):
    """The locale's own percent pattern (en "#,##0%", es "#,##0 %") with ``places`` decimals."""
    pattern = copy.copy(babel.numbers.parse_pattern(babel.core.Locale.parse(locale).percent_formats[None].pattern))
    pattern.frac_prec = (places, places)
    return pattern


def format_percent(share: Number | None, places: int = 1, locale=None) -> str:
    """A share as a percentage in ``locale`` (the request's when None), rounded half up first."""
    if share is None:
        return NONE
    if locale is None:
        from flask_babel import get_locale

        locale = get_locale()
    value = half_up(share, places + 2)  # the share, so that Babel's x100 needs no rounding
    return _percent_pattern(str(locale), places).apply(value, locale)


def init_app(app) -> None:
    """The ``percent`` Jinja filter: ``{{ share|percent }}`` -> 81.3%, ``{{ share|percent(0) }}`` -> 81%."""
    app.add_template_filter(format_percent, "percent")
