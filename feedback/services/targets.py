"""The published standards and A-11 names an office or a location carries: CSAT target, weekly
response target, service provided (and the office's provider), Touchpoints channels.

Offices and locations validate these fields with the same rules; a location's own value wins
over its office's (``feedback.services.standards``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from flask_babel import gettext

from feedback.numbers import percent
from feedback.services.editing import blank, or_none
from feedback.services.errors import InvalidInput
from feedback.touchpoints import CHANNELS as A11_CHANNELS

WEEKLY_TARGET_MAX = 100_000
SERVICE_MAX = 200
Errors = dict[str, list[str]]
# A number typed into a form: text, or what a form field already made of it.
FormNumber = str | int | float | Decimal | None


def target_from_percent(value: FormNumber) -> float | None:
    """A CSAT target entered as a percentage (0-100, blank for none) -> the stored share 0..1."""
    if blank(value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number <= 100:
        raise InvalidInput(gettext("Invalid CSAT target."), {"csat_target": [gettext("A number from 0 to 100.")]})
    return float(number / 100)


def percent_from_target(target: float | None) -> Decimal | None:
    """The stored share as the percentage people entered (0.855 -> 85.5)."""
    shown = percent(target, 2)  # rounded half up, like every figure
    return None if shown is None else Decimal(format(shown.normalize(), "f"))


def csat_target(value: FormNumber, errors: Errors) -> float | None:
    try:
        return target_from_percent(value)
    except InvalidInput as exc:
        errors.update(exc.errors)
        return None


def _weekly_target(value: FormNumber, errors: Errors) -> int | None:
    """Responses a week (a whole number 1..100 000, blank for none)."""
    if blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= WEEKLY_TARGET_MAX:
        errors["weekly_response_target"] = [
            gettext("A whole number from 1 to %(weekly_target_max)s.", weekly_target_max=format(WEEKLY_TARGET_MAX, ","))
        ]
        return None
    return number


def _service_name(value: str | None, errors: Errors, field: str) -> str | None:
    name = or_none(value)
    if name and len(name) > SERVICE_MAX:
        errors[field] = [gettext("At most %(service_max)s characters.", service_max=SERVICE_MAX)]
    return name


def _a11_channel(value: str | None, errors: Errors, field: str) -> str | None:
    """A Touchpoints channel for the A-11 collection (blank for the default)."""
    channel = or_none(value)
    if channel is not None and channel not in A11_CHANNELS:
        errors[field] = [gettext("One of Touchpoints' channels: %(choices)s.", choices=", ".join(A11_CHANNELS))]
    return channel


class _Shared(TypedDict, total=False):
    csat_target_percent: FormNumber  # a percentage, 0-100; blank for none
    weekly_response_target: FormNumber  # responses a week per location; blank for none
    service_provided: str | None  # the A-11 service name


class OfficeStandards(_Shared, total=False):
    """What an office publishes; a field left out of an update stays as stored."""

    service_provider: str | None


class LocationStandards(_Shared, total=False):
    """What a location publishes (over its office's); a field left out of an update stays as stored."""

    a11_channel_kiosk: str | None  # Touchpoints' channel for kiosk answers; blank for the default
    a11_channel_qr: str | None


def standards(
    errors: Errors,
    fields: OfficeStandards | LocationStandards,
    *,
    new: type[OfficeStandards] | type[LocationStandards] | None = None,
) -> dict[str, object]:
    """The stored values of the fields a caller sent; for a new object (``new``: its kind of
    standards) None for those it did not. Rule breaks go into ``errors`` keyed by form field."""
    given: dict[str, Any] = (dict.fromkeys(new.__annotations__) if new else {}) | dict(fields)
    values: dict[str, object] = {}
    if "csat_target_percent" in given:
        values["csat_target"] = csat_target(given["csat_target_percent"], errors)
    if "weekly_response_target" in given:
        values["weekly_response_target"] = _weekly_target(given["weekly_response_target"], errors)
    for field in ("service_provided", "service_provider"):
        if field in given:
            values[field] = _service_name(given[field], errors, field)
    for field in ("a11_channel_kiosk", "a11_channel_qr"):
        if field in given:
            values[field] = _a11_channel(given[field], errors, field)
    return values
