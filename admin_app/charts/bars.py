"""Bar charts: responses by channel, follow-up reasons, CSAT per location against its target."""

from __future__ import annotations

from flask_babel import gettext as _
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
        value = _("%(count)s · CSAT %(csat)s", count=fmt.count(f.count), csat=fmt.percent(f.csat))
        items.append((label, share or 0, value))
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
    summary = "; ".join(
        _(
            "%(channel)s: %(count)s responses, CSAT %(csat)s",
            channel=CHANNEL_LABELS.get(ch, ch),
            count=fmt.count(f.count),
            csat=fmt.percent(f.csat),
        )
        for ch, f in split.items()
    ) or _("No responses.")
    return hbars(
        chart_id,
        title,
        items,
        Table([_("Channel"), _("Responses"), _("Share"), _("CSAT"), _("Mean"), _("Suspect")], rows),
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
            _(
                "%(chosen)s of %(offered)s (%(share)s)",
                chosen=fmt.count(f.chosen),
                offered=fmt.count(f.offered),
                share=fmt.percent0(f.share),
            ),
        )
        for f in items
    ]
    rows = [
        (choice_label(f.choice, f.polarity), [fmt.count(f.chosen), fmt.count(f.offered), fmt.percent(f.share)])
        for f in items
    ]
    summary = (
        _("Most chosen first: %(list)s", list="; ".join(f"{label} {value}" for label, _length, value in bars[:3]))
        if items
        else _("No follow-up answers in this range.")
    )
    cls = "bar-good" if items and items[0].polarity == "positive" else "bar-bad"
    return hbars(chart_id, title, bars, Table([_("Reason"), _("Chosen"), _("Offered"), _("Share")], rows), summary, cls)


def compare(chart_id: str, title: str, rows) -> Markup:
    """CSAT per location (in the table's order) with each location's target as a tick."""
    fmt = formatter()
    items = [
        (
            row.location.code,
            row.figures.csat or 0,
            fmt.percent(row.figures.csat)
            + (" " + _("(target %(target)s)", target=fmt.percent0(row.target)) if row.target else ""),
        )
        for row in rows
    ]
    table = Table(
        [_("Location"), _("CSAT"), _("Target"), _("Responses")],
        [
            (row.location.code, [fmt.percent(row.figures.csat), fmt.percent(row.target), fmt.count(row.figures.count)])
            for row in rows
        ],
    )
    below = [row.location.code for row in rows if row.below_target]
    summary = (
        _("CSAT of %(n)s locations; below target: %(below)s.", n=len(rows), below=", ".join(below))
        if below
        else _("CSAT of %(n)s locations; none below target.", n=len(rows))
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
