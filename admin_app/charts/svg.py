"""SVG building blocks: text, the figure (caption, image, data table) and horizontal bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape


@dataclass
class Table:
    """A chart's data: column headings, then rows of (row heading, cells)."""

    columns: Sequence[str]
    rows: Sequence[tuple[str, Sequence[str]]]


def num(value: float) -> str:
    """A coordinate: at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def svg_text(x: float, y: float, text: str, cls: str = "label", anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{num(x)}" y="{num(y)}" class="{cls}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


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


NARROW_WIDTH = 320  # a phone's chart (390 px screen): drawn 1:1, so 12 px text stays 12 px (issue 16)


def _svg(chart_id: str, width: int, height: int, body: str, desc_id: str, cls: str, attrs: str) -> str:
    return (
        (
            f'<svg class="chart-svg {cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(desc_id)}" '
            f'xmlns="http://www.w3.org/2000/svg"{attrs}>'
        )
        + body.replace("\x00desc\x00", desc_id)
        + "</svg>"
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
    narrow: tuple[int, int, str] | None = None,
) -> Markup:
    """The chart as an image named by its caption and described by ``summary``, then its data table.

    ``narrow`` (width, height, body) is the same chart drawn for a phone: shown instead of the wide
    one on small screens (static/admin/dashboard.css), where the wide one would shrink its text."""
    data_table = _("Data table")
    desc = f'<desc id="\x00desc\x00">{escape(summary)}</desc>'
    wide_id, narrow_id = f"{chart_id}-desc", f"{chart_id}-desc-narrow"
    images = _svg(chart_id, width, height, desc + body, wide_id, "wide" if narrow else "", attrs)
    if narrow is not None:
        n_width, n_height, n_body = narrow
        images += _svg(chart_id, n_width, n_height, desc + n_body, narrow_id, "narrow", attrs)
    return Markup(
        f'<figure class="chart {extra_class}{" has-narrow" if narrow else ""}" id="{escape(chart_id)}">'
        f'<figcaption id="{escape(chart_id)}-title">{escape(title)}</figcaption>'
        f"{images}"
        f'<details class="data"><summary>{escape(data_table)}'
        f'<span class="visually-hidden">: {escape(title)}</span>'
        f"</summary>{table_html(title, table)}</details></figure>"
    )


# --- the charts -------------------------------------------------------------------------------------


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
    (a target) at that length. On a phone each label goes above its bar."""

    def draw(narrow: bool) -> tuple[int, int, str]:
        width, label_w, row_h = (NARROW_WIDTH, 0, 40) if narrow else (560, 210, 26)
        bar_y = 20 if narrow else 3  # from the row's top
        height = max(1, len(items)) * row_h + 4
        plot_w = width - label_w - (64 if narrow else 140)
        parts = []
        for i, (label, length, value) in enumerate(items):
            y = 4 + i * row_h
            if narrow:
                parts.append(svg_text(0, y + 14, label, "tick"))
            else:
                parts.append(svg_text(label_w - 8, y + 16, label, "tick", "end"))
            w = max(0.0, min(1.0, length)) * plot_w
            parts.append(f'<rect class="{cls}-track" x="{label_w}" y="{y + bar_y}" width="{plot_w}" height="16"/>')
            row_cls = row_classes[i] if row_classes else cls
            if w:
                parts.append(f'<rect class="{row_cls}" x="{label_w}" y="{y + bar_y}" width="{num(w)}" height="16"/>')
            mark = marks[i] if marks else None
            if mark is not None:
                x = label_w + max(0.0, min(1.0, mark)) * plot_w
                parts.append(
                    f'<line class="target-mark" x1="{num(x)}" x2="{num(x)}" y1="{y + bar_y - 3}" '
                    f'y2="{y + bar_y + 19}" data-target="{mark:g}"/>'
                )
            parts.append(svg_text(label_w + plot_w + 8, y + bar_y + 13, value, "tick"))
        if not items:
            parts.append(svg_text(0, 18, _("Nothing to show"), "tick"))
            height = 26
        return width, height, "".join(parts)

    width, height, body = draw(False)
    return figure(chart_id, title, summary, width, height, body, table, "hbars", narrow=draw(True))
