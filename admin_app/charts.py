"""Server-rendered SVG charts for the dashboards, each with a data table as its text alternative.

No script and no chart library: every chart is an ``<svg role="img">`` named by its caption
and described by a one-line summary, followed by ``<details><summary>Data table</summary>``
with the same numbers in a table. Colours come from classes styled by
static/admin/dashboard.css plus SVG presentation attributes (the CSP forbids ``style=""``).

Numbers and dates go through Flask-Babel, so they follow the request's locale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import babel.dates
import babel.numbers
from flask import g
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from feedback.numbers import half_up
from feedback.scales import DRIVER_LABELS, SCALES
from feedback.services.dashboard import Bucket, Figures, Followup

WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CHANNEL_LABELS = {"kiosk": "Kiosk", "qr": "Phone (QR)"}
SCALE_NAMES = {"faces5": "Five faces", "faces4": "Four faces", "three": "Three points", "thumbs": "Thumbs"}
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


# --- building blocks ------------------------------------------------------------------------------


@dataclass
class Table:
    """A chart's data: column headings, then rows of (row heading, cells)."""

    columns: Sequence[str]
    rows: Sequence[tuple[str, Sequence[str]]]


def _n(value: float) -> str:
    """A coordinate: at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, cls: str = "label", anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}" class="{cls}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def table_html(caption: str, table: Table) -> Markup:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = "".join(
        f'<tr><th scope="row" class="rowhead">{escape(h)}</th>'
        + "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
        + "</tr>"
        for h, cells in table.rows
    )
    return Markup(
        f'<table class="table data-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def figure(
    chart_id: str,
    title: str,
    summary: str,
    width: int,
    height: int,
    body: str,
    table: Table,
    extra_class: str = "",
    attrs: str = "",
) -> Markup:
    """The chart as an image named by its caption and described by ``summary``, then its data table."""
    return Markup(
        f'<figure class="chart {extra_class}" id="{escape(chart_id)}">'
        f'<figcaption id="{escape(chart_id)}-title">{escape(title)}</figcaption>'
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg"{attrs}>'
        f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>{body}</svg>'
        f'<details class="data"><summary>Data table<span class="visually-hidden">: {escape(title)}</span>'
        f"</summary>{table_html(title, table)}</details></figure>"
    )


# --- the charts -------------------------------------------------------------------------------------


def trend(chart_id: str, title: str, trend: list[Bucket], group: str, target: float | None = None) -> Markup:
    """CSAT per bucket as a line (gaps where there were no responses), the CSAT target as a dashed
    line, and the number of responses as bars underneath."""
    fmt = formatter()
    width, height = 960, 350
    left, right, top = 56, 16, 28
    line_h, gap, bars_h = 180, 46, 64
    plot_w = width - left - right
    values = [b.figures.csat for b in trend if b.figures.csat is not None]
    low = min(values + ([target] if target is not None else []), default=0.5)
    # the axis: at least 50 %..100 %, lower if the data is, in round steps of 10 (or 20) points
    floor = max(0.0, min(0.5, math.floor((low - 0.02) * 10) / 10))
    y_step = 0.1 if floor >= 0.5 else 0.2
    floor = max(0.0, 1 - y_step * math.ceil(round((1 - floor) / y_step, 6)))

    def y_of(value: float) -> float:
        return top + (1 - (value - floor) / (1 - floor)) * line_h

    n = max(len(trend), 1)
    step = plot_w / n

    def x_of(i: int) -> float:
        return left + step * (i + 0.5)

    parts = ['<g class="grid">']
    ticks = round((1 - floor) / y_step)
    for k in range(ticks + 1):
        value = floor + y_step * k
        y = y_of(value)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}"/>')
        parts.append(_text(left - 6, y + 4, fmt.percent0(value), "tick", "end"))
    parts.append("</g>")
    # the CSAT line: one path segment per run of buckets that have responses
    path, dots, pen_down = [], [], False
    for i, bucket in enumerate(trend):
        csat = bucket.figures.csat
        if csat is None:
            pen_down = False
            continue
        x, y = x_of(i), y_of(csat)
        path.append(f"{'L' if pen_down else 'M'}{_n(x)} {_n(y)}")
        pen_down = True
        dots.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{3 if n <= 62 else 1.6}" class="dot"/>')
    if path:
        parts.append(f'<path class="csat-line" d="{" ".join(path)}" fill="none"/>')
    parts.extend(dots)
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line class="target-line" x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}" '
            f'data-target="{target:g}"/>'
        )
        parts.append(_text(width - right - 4, y - 5, f"Target {fmt.percent(target)}", "target-label", "end"))
    # responses as bars
    bars_top = top + line_h + gap
    peak = max((b.figures.count for b in trend), default=0)
    most = peak or 1
    bar_w = max(1.0, step * 0.7)
    parts.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{bars_top + bars_h}" y2="{bars_top + bars_h}"/>'
    )
    parts.append(_text(left - 6, bars_top + 4, fmt.count(peak), "tick", "end"))
    parts.append(_text(left - 6, bars_top + bars_h + 4, fmt.count(0), "tick", "end"))
    for i, bucket in enumerate(trend):
        h = bucket.figures.count / most * bars_h
        if h:
            parts.append(
                f'<rect class="bar" x="{_n(x_of(i) - bar_w / 2)}" y="{_n(bars_top + bars_h - h)}" '
                f'width="{_n(bar_w)}" height="{_n(h)}"/>'
            )
    parts.append(_text(left, top - 14, "CSAT", "axis-title"))
    parts.append(_text(left, bars_top - 14, "Responses", "axis-title"))
    # x labels: at most 8, evenly spread
    every = max(1, -(-n // 8))
    for i, bucket in enumerate(trend):
        if i % every == 0:
            label = bucket_label(bucket, group, short=True, fmt=fmt)
            parts.append(_text(x_of(i), height - 4, label, "tick", "middle"))

    with_data = [b for b in trend if b.figures.count]
    if with_data:
        best = max(with_data, key=lambda b: (b.figures.csat, b.first))
        worst = min(with_data, key=lambda b: (b.figures.csat, b.first))
        first, last = bucket_label(trend[0], group, fmt=fmt), bucket_label(trend[-1], group, fmt=fmt)
        summary = (
            f"CSAT by {group} from {first} to {last}: "
            f"highest {fmt.percent(best.figures.csat)} ({bucket_label(best, group, fmt=fmt)}), lowest "
            f"{fmt.percent(worst.figures.csat)} ({bucket_label(worst, group, fmt=fmt)})"
            + (f"; target {fmt.percent(target)}." if target is not None else ".")
        )
    else:
        summary = "No responses in this range."
    table = Table(
        ["Period" if group != "day" else "Day", "Responses", "CSAT", "Mean"]
        + (["Against target (points)"] if target is not None else []),
        [
            (
                bucket_label(b, group, fmt=fmt),
                [fmt.count(b.figures.count), fmt.percent(b.figures.csat), fmt.mean(b.figures.mean)]
                + (
                    [fmt.points((b.figures.csat - target) * 100 if b.figures.csat is not None else None)]
                    if target is not None
                    else []
                ),
            )
            for b in trend
        ],
    )
    attrs = f' data-target="{target:g}"' if target is not None else ""
    return figure(chart_id, title, summary, width, height, "".join(parts), table, "trend", attrs)


def distribution(chart_id: str, title: str, figures: Figures, compact: bool = False) -> Markup:
    """Ratings per scale as a stacked bar, worst (left) to best (right)."""
    fmt = formatter()
    scales = figures.scales
    width = 320 if compact else 640
    row_h, label_h = 22, 18
    height = max(1, len(scales)) * (row_h + label_h + 8) + 4
    parts, rows, described = [], [], []
    for s, scale in enumerate(scales):
        counts = figures.distribution[scale]
        total = sum(counts) or 1
        labels = scale_labels(scale)
        y = 4 + s * (row_h + label_h + 8)
        if len(scales) > 1:
            parts.append(_text(0, y + 12, SCALE_NAMES.get(scale, scale), "tick"))
            y += label_h
        x = 0.0
        for k, n in enumerate(counts):
            w = n / total * width
            if w > 0:
                level = round(k * 4 / (len(counts) - 1))  # 0..4, worst..best, same colours on every scale
                parts.append(
                    f'<rect class="rating-{level}" x="{_n(x)}" y="{y}" width="{_n(w)}" height="{row_h}">'
                    f"<title>{escape(labels[k])}: {escape(fmt.count(n))}</title></rect>"
                )
                if w > 34:
                    parts.append(_text(x + w / 2, y + 15, fmt.percent0(n / total), f"in-bar on-{level}", "middle"))
            x += w
        for k, n in enumerate(counts):
            rows.append(
                (
                    f"{labels[k]}" + (f" ({SCALE_NAMES.get(scale, scale).lower()})" if len(scales) > 1 else ""),
                    [fmt.count(n), fmt.percent(n / total if sum(counts) else None)],
                )
            )
        described.append(", ".join(f"{labels[k]} {fmt.percent0(n / total)}" for k, n in enumerate(counts)))
    if not scales:
        height = 24
        parts.append(_text(0, 16, "No ratings", "tick"))
    summary = "; ".join(described) if described else "No ratings in this period."
    return figure(
        chart_id,
        title,
        summary,
        width,
        height,
        "".join(parts),
        Table(["Rating", "Responses", "Share"], rows),
        "distribution compact" if compact else "distribution",
    )


def heatmap(chart_id: str, title: str, grid: dict[tuple[int, int], Figures], measure: str = "count") -> Markup:
    """Weekday (rows) by local hour (columns): responses, or CSAT, as colour steps."""
    fmt = formatter()
    hours_with_data = sorted({h for (_wd, h), f in grid.items() if f.count})
    first, last = (hours_with_data[0], hours_with_data[-1]) if hours_with_data else (8, 17)
    hours = list(range(first, last + 1))
    left, top, cell_w, cell_h = 84, 22, max(24, min(44, 600 // max(len(hours), 1))), 26
    legend_w = left + 4 * 78 + 84  # the CSAT legend is the wider one
    width, height = max(left + cell_w * len(hours) + 8, legend_w), top + cell_h * 7 + 40
    most = max((f.count for f in grid.values()), default=0) or 1

    def level(f: Figures | None) -> int | None:
        if f is None or not f.count:
            return None
        if measure == "count":
            return min(4, int(f.count / most * 5))
        csat = f.csat
        return 0 if csat < 0.6 else 1 if csat < 0.7 else 2 if csat < 0.8 else 3 if csat < 0.9 else 4

    parts = []
    for j, hour in enumerate(hours):
        parts.append(_text(left + cell_w * (j + 0.5), top - 8, f"{hour:02d}", "tick", "middle"))
    for wd in range(7):
        y = top + wd * cell_h
        parts.append(_text(left - 8, y + cell_h * 0.65, WEEKDAY_LABELS[wd][:3], "tick", "end"))
        for j, hour in enumerate(hours):
            f = grid.get((wd, hour))
            lv = level(f)
            cls = "heat-empty" if lv is None else f"heat-{measure}-{lv}"
            tip = (
                f"{WEEKDAY_LABELS[wd]} {hour:02d}:00: {fmt.count(f.count)} responses, CSAT {fmt.percent(f.csat)}"
                if f is not None and f.count
                else f"{WEEKDAY_LABELS[wd]} {hour:02d}:00: no responses"
            )
            parts.append(
                f'<rect class="{cls}" x="{left + j * cell_w + 1}" y="{y + 1}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}"><title>{escape(tip)}</title></rect>'
            )
    # legend
    ly = top + 7 * cell_h + 14
    bounds = [fmt.percent0(b) for b in (0.6, 0.7, 0.8, 0.9)]
    steps = [f"< {bounds[0]}", *(f"{a}–{b}" for a, b in zip(bounds, bounds[1:])), f"≥ {bounds[3]}"]
    parts.append(_text(0, ly + 12, "Responses:" if measure == "count" else "CSAT:", "tick"))
    spacing = 36 if measure == "count" else 78
    for k in range(5):
        x = left + k * spacing + (40 if measure == "count" else 0)
        parts.append(f'<rect class="heat-{measure}-{k}" x="{x}" y="{ly}" width="16" height="16"/>')
    if measure == "count":
        parts.append(_text(left + 34, ly + 12, "fewest", "tick", "end"))
        parts.append(_text(left + 40 + 4 * spacing + 22, ly + 12, "most", "tick"))
    else:
        for k in range(5):
            parts.append(_text(left + k * spacing + 20, ly + 12, steps[k], "tick"))

    busiest = max(((k, f) for k, f in grid.items() if f.count), key=lambda kv: kv[1].count, default=None)
    if busiest is None:
        summary = "No responses in this range."
    elif measure == "count":
        (wd, hour), f = busiest
        summary = (
            f"Responses by weekday and hour of the day, office local time; busiest "
            f"{WEEKDAY_LABELS[wd]} {hour:02d}:00 with {fmt.count(f.count)}."
        )
    else:
        rated = [(k, f) for k, f in grid.items() if f.count]
        (wd, hour), f = min(rated, key=lambda kv: (kv[1].csat, kv[0]))
        summary = (
            f"CSAT by weekday and hour of the day, office local time; lowest "
            f"{WEEKDAY_LABELS[wd]} {hour:02d}:00 at {fmt.percent(f.csat)}."
        )

    def cell(f: Figures | None) -> str:
        if f is None or not f.count:
            return NONE
        return fmt.count(f.count) if measure == "count" else fmt.percent(f.csat)

    table = Table(
        ["Weekday", *[f"{h:02d}:00" for h in hours]],
        [(WEEKDAY_LABELS[wd], [cell(grid.get((wd, h))) for h in hours]) for wd in range(7)],
    )
    return figure(chart_id, title, summary, width, height, "".join(parts), table, "heatmap")


def hbars(
    chart_id: str,
    title: str,
    items: list[tuple[str, float, str]],
    table: Table,
    summary: str,
    cls: str = "bar",
    marks: list[float | None] | None = None,
    row_classes: list[str] | None = None,
) -> Markup:
    """Horizontal bars: (label, length 0..1, value text) per row; ``marks`` draws a tick per row
    (a target) at that length."""
    width, label_w, row_h = 560, 210, 26
    height = max(1, len(items)) * row_h + 4
    plot_w = width - label_w - 140
    parts = []
    for i, (label, length, value) in enumerate(items):
        y = 4 + i * row_h
        parts.append(_text(label_w - 8, y + 16, label, "tick", "end"))
        w = max(0.0, min(1.0, length)) * plot_w
        parts.append(f'<rect class="{cls}-track" x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row_h - 10}"/>')
        row_cls = row_classes[i] if row_classes else cls
        if w:
            parts.append(f'<rect class="{row_cls}" x="{label_w}" y="{y + 3}" width="{_n(w)}" height="{row_h - 10}"/>')
        mark = marks[i] if marks else None
        if mark is not None:
            x = label_w + max(0.0, min(1.0, mark)) * plot_w
            parts.append(
                f'<line class="target-mark" x1="{_n(x)}" x2="{_n(x)}" y1="{y}" y2="{y + row_h - 4}" '
                f'data-target="{mark:g}"/>'
            )
        parts.append(_text(label_w + plot_w + 8, y + 16, value, "tick"))
    if not items:
        parts.append(_text(0, 18, "Nothing to show", "tick"))
        height = 26
    return figure(chart_id, title, summary, width, height, "".join(parts), table, "hbars")


def channels(chart_id: str, title: str, split: dict[str, Figures]) -> Markup:
    fmt = formatter()
    total = sum(f.count for f in split.values())
    items, rows = [], []
    for channel, f in split.items():
        share = f.count / total if total else None
        label = CHANNEL_LABELS.get(channel, channel)
        items.append((label, share or 0, f"{fmt.count(f.count)} · CSAT {fmt.percent(f.csat)}"))
        rows.append(
            (
                label,
                [
                    fmt.count(f.count),
                    fmt.percent(share),
                    fmt.percent(f.csat),
                    fmt.mean(f.mean),
                    fmt.count(f.suspect_count),
                ],
            )
        )
    summary = (
        "; ".join(
            f"{CHANNEL_LABELS.get(ch, ch)}: {fmt.count(f.count)} responses, CSAT {fmt.percent(f.csat)}"
            for ch, f in split.items()
        )
        or "No responses."
    )
    return hbars(
        chart_id,
        title,
        items,
        Table(["Channel", "Responses", "Share", "CSAT", "Mean", "Suspect"], rows),
        summary,
        "bar",
    )


def followups(chart_id: str, title: str, items: list[Followup]) -> Markup:
    fmt = formatter()
    most = max((f.chosen for f in items), default=0) or 1
    bars = [
        (
            choice_label(f.choice, f.polarity),
            f.chosen / most,
            f"{fmt.count(f.chosen)} of {fmt.count(f.offered)} ({fmt.percent0(f.share)})",
        )
        for f in items
    ]
    rows = [
        (choice_label(f.choice, f.polarity), [fmt.count(f.chosen), fmt.count(f.offered), fmt.percent(f.share)])
        for f in items
    ]
    summary = (
        "Most chosen first: " + "; ".join(f"{label} {value}" for label, _l, value in bars[:3])
        if items
        else "No follow-up answers in this range."
    )
    cls = "bar-good" if items and items[0].polarity == "positive" else "bar-bad"
    return hbars(chart_id, title, bars, Table(["Reason", "Chosen", "Offered", "Share"], rows), summary, cls)


def compare(chart_id: str, title: str, rows) -> Markup:
    """CSAT per location (in the table's order) with each location's target as a tick."""
    fmt = formatter()
    items = [
        (
            row.location.code,
            row.figures.csat or 0,
            f"{fmt.percent(row.figures.csat)}" + (f" (target {fmt.percent0(row.target)})" if row.target else ""),
        )
        for row in rows
    ]
    table = Table(
        ["Location", "CSAT", "Target", "Responses"],
        [
            (row.location.code, [fmt.percent(row.figures.csat), fmt.percent(row.target), fmt.count(row.figures.count)])
            for row in rows
        ],
    )
    below = [row.location.code for row in rows if row.below_target]
    summary = (
        f"CSAT of {len(rows)} locations; below target: {', '.join(below)}."
        if below
        else f"CSAT of {len(rows)} locations; none below target."
    )
    return hbars(
        chart_id,
        title,
        items,
        table,
        summary,
        "bar",
        marks=[row.target for row in rows],
        row_classes=["bar-bad" if row.below_target else "bar" for row in rows],
    )
