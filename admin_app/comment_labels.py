"""Labels shared by the comment pages (the inbox in comments.py, follow-up and topics in triage.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_app import charts
from feedback.scales import SCALES
from feedback.services.comments import InboxItem

# The A-11 drivers by their Section 280 names (the chips' wording depends on the rating's side).
DRIVER_NAMES = {
    "effectiveness": _l("Effectiveness"),
    "ease": _l("Ease"),
    "efficiency": _l("Efficiency"),
    "transparency": _l("Transparency"),
    "humanity": _l("Humanity"),
    "employee": _l("Employee helpfulness"),
    "other": _l("Something else"),
}
SIDE_LABELS = {"negative": _l("Negative ratings"), "positive": _l("Positive ratings")}


def rating_text(item: InboxItem) -> str:
    """ "Dissatisfied (2 of 5, Five faces)": the rating in words, its place and its scale."""
    scale = SCALES[item.scale]
    return _(
        "%(label)s (%(rating)d of %(points)d, %(scale)s)",
        label=charts.scale_labels(item.scale)[item.rating - 1],
        rating=item.rating,
        points=scale.points,
        scale=charts.SCALE_NAMES[item.scale],
    )
