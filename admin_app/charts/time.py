"""Charts over time and over the week: the CSAT trend, the rating distribution, the weekday × hour heatmap."""

from __future__ import annotations

import math
from itertools import pairwise

from flask_babel import gettext as _
from markupsafe import Markup, escape

from admin_app.charts.labels import (
    GROUP_NAMES,
    NONE,
    SCALE_NAMES,
    WEEKDAY_LABELS,
    Fmt,
    bucket_label,
    formatter,
    scale_labels,
)
from admin_app.charts.svg import NARROW_WIDTH, Table, figure, num, svg_text
from feedback.services.dashboard import Bucket, Figures


def trend(chart_id: str, title: str, trend: list[Bucket], group: str, target: float | None = None) -> Markup:
    """CSAT per bucket as a line (gaps where there were no responses), the CSAT target as a dashed
    line, and the number of responses as bars underneath."""
    fmt = formatter()

    def draw(narrow: bool) -> tuple[int, int, str]:
        width, height = (NARROW_WIDTH if narrow else 960), 350
        left, right, top = (44, 8, 28) if narrow else (56, 16, 28)
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
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{num(y)}" y2="{num(y)}"/>')
            parts.append(svg_text(left - 6, y + 4, fmt.percent0(value), "tick", "end"))
        parts.append("</g>")
        # the CSAT line: one path segment per run of buckets that have responses
        path, dots, pen_down = [], [], False
        for i, bucket in enumerate(trend):
            csat = bucket.figures.csat
            if csat is None:
                pen_down = False
                continue
            x, y = x_of(i), y_of(csat)
            path.append(f"{'L' if pen_down else 'M'}{num(x)} {num(y)}")
            pen_down = True
            if bucket.partial:  # not over yet: a hollow point, named
                tip = escape(
                    _(
                        "%(when)s (partial): CSAT %(csat)s",
                        when=bucket_label(bucket, group, fmt=fmt),
                        csat=fmt.percent(csat),
                    )
                )
                dots.append(
                    f'<circle cx="{num(x)}" cy="{num(y)}" r="{4 if n <= 62 else 2.5}" class="dot partial">'
                    f"<title>{tip}</title></circle>"
                )
            else:
                dots.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="{3 if n <= 62 else 1.6}" class="dot"/>')
        if path:
            parts.append(f'<path class="csat-line" d="{" ".join(path)}" fill="none"/>')
        parts.extend(dots)
        if target is not None:
            y = y_of(target)
            parts.append(
                f'<line class="target-line" x1="{left}" x2="{width - right}" y1="{num(y)}" y2="{num(y)}" '
                f'data-target="{target:g}"/>'
            )
            label = _("Target %(target)s", target=fmt.percent(target))
            parts.append(svg_text(width - right - 4, y - 5, label, "target-label", "end"))
        # responses as bars
        bars_top = top + line_h + gap
        peak = max((b.figures.count for b in trend), default=0)
        most = peak or 1
        bar_w = max(1.0, step * 0.7)
        parts.append(
            f'<line class="axis" x1="{left}" x2="{width - right}" y1="{bars_top + bars_h}" y2="{bars_top + bars_h}"/>'
        )
        parts.append(svg_text(left - 6, bars_top + 4, fmt.count(peak), "tick", "end"))
        parts.append(svg_text(left - 6, bars_top + bars_h + 4, fmt.count(0), "tick", "end"))
        for i, bucket in enumerate(trend):
            h = bucket.figures.count / most * bars_h
            if h:
                parts.append(
                    f'<rect class="bar{" partial" if bucket.partial else ""}" x="{num(x_of(i) - bar_w / 2)}" '
                    f'y="{num(bars_top + bars_h - h)}" width="{num(bar_w)}" height="{num(h)}"/>'
                )
        parts.append(svg_text(left, top - 14, _("CSAT"), "axis-title"))
        parts.append(svg_text(left, bars_top - 14, _("Responses"), "axis-title"))
        # x labels: at most 8 (3 on a phone), evenly spread
        every = max(1, -(-n // (3 if narrow else 8)))
        for i, bucket in enumerate(trend):
            if i % every == 0:
                label = bucket_label(bucket, group, short=True, fmt=fmt)
                parts.append(svg_text(x_of(i), height - 4, label, "tick", "middle"))

        return width, height, "".join(parts)

    width, height, body = draw(False)
    with_data = [b for b in trend if b.figures.count]
    if with_data:
        best = max(with_data, key=lambda b: (b.figures.csat, b.first))
        worst = min(with_data, key=lambda b: (b.figures.csat, b.first))
        first, last = bucket_label(trend[0], group, fmt=fmt), bucket_label(trend[-1], group, fmt=fmt)
        summary = _(
            "CSAT by %(group)s from %(first)s to %(last)s: highest %(best)s (%(best_when)s), lowest %(worst)s "
            "(%(worst_when)s)",
            group=GROUP_NAMES.get(group, group),
            first=first,
            last=last,
            best=fmt.percent(best.figures.csat),
            best_when=bucket_label(best, group, fmt=fmt),
            worst=fmt.percent(worst.figures.csat),
            worst_when=bucket_label(worst, group, fmt=fmt),
        ) + (_("; target %(target)s.", target=fmt.percent(target)) if target is not None else ".")
        if trend[-1].partial:
            summary += " " + _("The last point is not over yet (partial).")
    else:
        summary = _("No responses in this range.")
    table = Table(
        [_("Period") if group != "day" else _("Day"), _("Responses"), _("CSAT"), _("Mean")]
        + ([_("Against target (points)")] if target is not None else []),
        [
            (
                bucket_label(b, group, fmt=fmt) + (" " + _("(partial)") if b.partial else ""),
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
    return figure(chart_id, title, summary, width, height, body, table, "trend", attrs, narrow=draw(True))


def distribution(chart_id: str, title: str, figures: Figures, compact: bool = False) -> Markup:
    """Ratings per scale as a stacked bar, worst (left) to best (right)."""
    fmt = formatter()
    scales = figures.scales

    def draw(narrow: bool) -> tuple[int, int, str, list[tuple[str, list[str]]], list[str]]:
        width = NARROW_WIDTH if compact or narrow else 640
        row_h, label_h = 22, 18
        height = max(1, len(scales)) * (row_h + label_h + 8) + 4
        parts, rows, described = [], [], []
        for s, scale in enumerate(scales):
            counts = figures.distribution[scale]
            total = sum(counts) or 1
            labels = scale_labels(scale)
            y = 4 + s * (row_h + label_h + 8)
            if len(scales) > 1:
                parts.append(svg_text(0, y + 12, SCALE_NAMES.get(scale, scale), "tick"))
                y += label_h
            x = 0.0
            for k, n in enumerate(counts):
                w = n / total * width
                if w > 0:
                    level = round(k * 4 / (len(counts) - 1))  # 0..4, worst..best, same colours on every scale
                    parts.append(
                        f'<rect class="rating-{level}" x="{num(x)}" y="{y}" width="{num(w)}" height="{row_h}">'
                        f"<title>{escape(labels[k])}: {escape(fmt.count(n))}</title></rect>"
                    )
                    if w > 34:
                        parts.append(
                            svg_text(x + w / 2, y + 15, fmt.percent0(n / total), f"in-bar on-{level}", "middle")
                        )
                x += w
            for k, n in enumerate(counts):
                rows.append(
                    (
                        f"{labels[k]}"
                        + (f" ({str(SCALE_NAMES.get(scale, scale)).lower()})" if len(scales) > 1 else ""),
                        [fmt.count(n), fmt.percent(n / total if sum(counts) else None)],
                    )
                )
            described.append(", ".join(f"{labels[k]} {fmt.percent0(n / total)}" for k, n in enumerate(counts)))
        if not scales:
            height = 24
            parts.append(svg_text(0, 16, _("No ratings"), "tick"))
        return width, height, "".join(parts), rows, described

    width, height, body, rows, described = draw(False)
    summary = "; ".join(described) if described else _("No ratings in this period.")
    return figure(
        chart_id,
        title,
        summary,
        width,
        height,
        body,
        Table([_("Rating"), _("Responses"), _("Share")], rows),
        "distribution compact" if compact else "distribution",
        narrow=draw(True)[:3],
    )


def heatmap(chart_id: str, title: str, grid: dict[tuple[int, int], Figures], measure: str = "count") -> Markup:
    """Weekday (rows) by local hour (columns): responses, or CSAT, as colour steps."""
    fmt = formatter()
    hours_with_data = sorted({h for (_wd, h), f in grid.items() if f.count})
    first, last = (hours_with_data[0], hours_with_data[-1]) if hours_with_data else (8, 17)
    hours = list(range(first, last + 1))
    # Worded once for both drawings (the wide one and the phone's): a translated, formatted tip per cell.
    days = [str(label) for label in WEEKDAY_LABELS]
    tips = {(wd, h): escape(_cell_tip(days[wd], h, grid.get((wd, h)), fmt)) for wd in range(7) for h in hours}
    bounds = [fmt.percent0(b) for b in (0.6, 0.7, 0.8, 0.9)]
    steps = [f"< {bounds[0]}", *(f"{a}–{b}" for a, b in pairwise(bounds)), f"≥ {bounds[3]}"]

    def draw(narrow: bool) -> tuple[int, int, str]:
        if narrow:  # a phone: thin cells, every few hours labelled, the legend as a list below
            left, top, cell_h = 40, 22, 26
            cell_w = max(6, (NARROW_WIDTH - left - 8) // max(len(hours), 1))
            label_every = -(-24 // cell_w)  # an hour label needs about 24 px
            width, height = NARROW_WIDTH, top + cell_h * 7 + 14 + 5 * 22
        else:
            left, top, cell_w, cell_h = 84, 22, max(24, min(44, 600 // max(len(hours), 1))), 26
            label_every = 1
            legend_w = left + 4 * 78 + 84  # the CSAT legend is the wider one
            width, height = max(left + cell_w * len(hours) + 8, legend_w), top + cell_h * 7 + 40
        most = max((f.count for f in grid.values()), default=0) or 1

        def level(f: Figures | None) -> int | None:
            if f is None or not f.count:
                return None
            if measure == "count":
                return min(4, int(f.count / most * 5))
            csat = f.csat or 0.0  # never None here: the cell has responses
            return 0 if csat < 0.6 else 1 if csat < 0.7 else 2 if csat < 0.8 else 3 if csat < 0.9 else 4

        parts = []
        for j, hour in enumerate(hours):
            if j % label_every == 0:
                parts.append(svg_text(left + cell_w * (j + 0.5), top - 8, f"{hour:02d}", "tick", "middle"))
        for wd in range(7):
            y = top + wd * cell_h
            parts.append(svg_text(left - 8, y + cell_h * 0.65, days[wd][:3], "tick", "end"))
            for j, hour in enumerate(hours):
                lv = level(grid.get((wd, hour)))
                cls = "heat-empty" if lv is None else f"heat-{measure}-{lv}"
                parts.append(
                    f'<rect class="{cls}" x="{left + j * cell_w + 1}" y="{y + 1}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}"><title>{tips[(wd, hour)]}</title></rect>'
                )
        # legend
        ly = top + 7 * cell_h + 14
        if narrow:
            words = [_("fewest"), "", "", "", _("most")] if measure == "count" else steps
            parts.append(svg_text(0, ly + 12, _("Responses:") if measure == "count" else _("CSAT:"), "tick"))
            for k in range(5):
                y = ly + k * 22
                parts.append(f'<rect class="heat-{measure}-{k}" x="{left + 60}" y="{y}" width="16" height="16"/>')
                if words[k]:
                    parts.append(svg_text(left + 84, y + 12, words[k], "tick"))
            return width, height, "".join(parts)
        parts.append(svg_text(0, ly + 12, _("Responses:") if measure == "count" else _("CSAT:"), "tick"))
        spacing = 36 if measure == "count" else 78
        for k in range(5):
            x = left + k * spacing + (40 if measure == "count" else 0)
            parts.append(f'<rect class="heat-{measure}-{k}" x="{x}" y="{ly}" width="16" height="16"/>')
        if measure == "count":
            parts.append(svg_text(left + 34, ly + 12, _("fewest"), "tick", "end"))
            parts.append(svg_text(left + 40 + 4 * spacing + 22, ly + 12, _("most"), "tick"))
        else:
            for k in range(5):
                parts.append(svg_text(left + k * spacing + 20, ly + 12, steps[k], "tick"))

        return width, height, "".join(parts)

    width, height, body = draw(False)
    busiest = max(((k, f) for k, f in grid.items() if f.count), key=lambda kv: kv[1].count, default=None)
    if busiest is None:
        summary = _("No responses in this range.")
    elif measure == "count":
        (wd, hour), f = busiest
        summary = _(
            "Responses by weekday and hour of the day, office local time; busiest %(day)s %(hour)s with %(count)s.",
            day=WEEKDAY_LABELS[wd],
            hour=f"{hour:02d}:00",
            count=fmt.count(f.count),
        )
    else:
        rated = [(k, f) for k, f in grid.items() if f.count]
        (wd, hour), f = min(rated, key=lambda kv: (kv[1].csat, kv[0]))
        summary = _(
            "CSAT by weekday and hour of the day, office local time; lowest %(day)s %(hour)s at %(csat)s.",
            day=WEEKDAY_LABELS[wd],
            hour=f"{hour:02d}:00",
            csat=fmt.percent(f.csat),
        )

    def cell(f: Figures | None) -> str:
        if f is None or not f.count:
            return NONE
        return fmt.count(f.count) if measure == "count" else fmt.percent(f.csat)

    table = Table(
        [_("Weekday"), *[f"{h:02d}:00" for h in hours]],
        [(WEEKDAY_LABELS[wd], [cell(grid.get((wd, h))) for h in hours]) for wd in range(7)],
    )
    return figure(chart_id, title, summary, width, height, body, table, "heatmap", narrow=draw(True))


def _cell_tip(day: str, hour: int, f: Figures | None, fmt: Fmt) -> str:
    """The tooltip of one heatmap cell."""
    if f is None or not f.count:
        return _("%(day)s %(hour)s: no responses", day=day, hour=f"{hour:02d}:00")
    return _(
        "%(day)s %(hour)s: %(count)s responses, CSAT %(csat)s",
        day=day,
        hour=f"{hour:02d}:00",
        count=fmt.count(f.count),
        csat=fmt.percent(f.csat),
    )
