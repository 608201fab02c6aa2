"""The attention list of a digest: the admin home page's items (``services/attention.py``), each as
one translated line and the admin-site path where it is handled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from flask_babel import format_decimal, gettext, ngettext

from feedback.database import DbSession
from feedback.numbers import format_percent
from feedback.services import attention

# The admin endpoints the items name, as paths (tests/alerts/test_digests.py checks each against
# the app's URL map, so a moved page fails a test instead of a link).
PATHS = {
    "admin.location_detail": "/admin/locations/{code}",
    "admin.alerts_list": "/admin/alerts",
    "admin.kiosks": "/admin/kiosks",
    "admin.comments_inbox": "/admin/comments",
    "admin.reporting": "/admin/reporting",
    "admin.standards": "/admin/standards",
}


@dataclass(frozen=True)
class AttentionItem:
    """Something to look at: a one-line summary, when (if it happened at one time), and the
    admin-site path that shows it."""

    summary: str
    at: datetime | None
    path: str


def path_of(item: attention.Item) -> str:
    """The item's page: its endpoint's path, its other arguments as the query string."""
    template = PATHS[item.endpoint]
    in_path = {key: quote(value, safe="") for key, value in item.args.items() if "{" + key + "}" in template}
    rest = {key: value for key, value in item.args.items() if key not in in_path}
    path = template.format(**in_path)
    return f"{path}?{urlencode(sorted(rest.items()))}" if rest else path


def _below_target(item: attention.Item) -> str:
    assert item.location is not None and item.interval is not None
    line = gettext(
        "CSAT %(csat)s in %(quarter)s (%(n)s responses), %(gap)s points below its %(target)s target.",
        csat=format_percent(item.csat),
        quarter=item.quarter,
        n=item.responses,
        gap=format_decimal(abs(item.gap_points or 0), format="0.0"),
        target=format_percent(item.target),
    )
    return f"{item.location.code} – {item.location.name}: {line}"


SUMMARIES: dict[str, Callable[[attention.Item], str]] = {
    "below_target": _below_target,
    "more_below_target": lambda i: ngettext(
        "%(num)d more location below its target", "%(num)d more locations below their targets", i.count
    ),
    "alerts": lambda i: ngettext("%(num)d open alert", "%(num)d open alerts", i.count),
    "silent_kiosks": lambda i: (
        ngettext("%(num)d kiosk silent during opening hours", "%(num)d kiosks silent during opening hours", i.count)
        + ": "
        + ", ".join(i.names)
    ),
    "negative_comments": lambda i: ngettext(
        "%(num)s open comment after a negative rating", "%(num)s open comments after a negative rating", i.count
    ),
    "other_comments": lambda i: ngettext("%(num)s other open comment", "%(num)s other open comments", i.count),
    "volumes": lambda i: ngettext(
        "%(num)d customer volume to enter for %(quarter)s",
        "%(num)d customer volumes to enter for %(quarter)s",
        i.count,
        quarter=i.quarter,
    ),
}


def items(session: DbSession, location_ids: list[int], now: datetime, limit: int) -> list[AttentionItem]:
    """The digest's attention list for ``location_ids``: the home page's items, most urgent first."""
    found = attention.attention(session, location_ids, now).items[:limit]
    return [AttentionItem(SUMMARIES[item.kind](item), None, path_of(item)) for item in found]
