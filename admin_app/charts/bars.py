"""Bar charts: responses by channel, follow-up reasons, CSAT per location against its target."""

from __future__ import annotations

from markupsafe import Markup

from admin_app.charts.labels import CHANNEL_LABELS, choice_label, formatter
from admin_app.charts.svg import Table, hbars
from feedback.services.dashboard import Figures, Followup


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
