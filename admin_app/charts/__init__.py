"""Server-rendered SVG charts for the dashboards, each with a data table as its text alternative.

No script and no chart library: every chart is an ``<svg role="img">`` named by its caption
and described by a one-line summary, followed by ``<details><summary>Data table</summary>``
with the same numbers in a table. Colours come from classes styled by
static/admin/dashboard.css plus SVG presentation attributes (the CSP forbids ``style=""``).

Numbers and dates go through Flask-Babel, so they follow the request's locale.
"""

from admin_app.charts.bars import channels, compare, followups
from admin_app.charts.labels import (
    CHANNEL_LABELS,
    GROUP_NAMES,
    NONE,
    SCALE_NAMES,
    WEEKDAY_LABELS,
    Fmt,
    bucket_label,
    choice_label,
    formatter,
    scale_labels,
)
from admin_app.charts.svg import Table, figure, hbars, table_html
from admin_app.charts.time import distribution, heatmap, trend

__all__ = [
    "CHANNEL_LABELS",
    "GROUP_NAMES",
    "NONE",
    "SCALE_NAMES",
    "WEEKDAY_LABELS",
    "Fmt",
    "Table",
    "bucket_label",
    "channels",
    "choice_label",
    "compare",
    "distribution",
    "figure",
    "followups",
    "formatter",
    "hbars",
    "heatmap",
    "scale_labels",
    "table_html",
    "trend",
]
