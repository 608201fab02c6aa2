"""Rating scales a survey can use, and the rule that makes a rating "positive".

Ratings are stored as integers 1..points, worst to best, whatever the scale.
CSAT is the share of positive ratings:

========  ======  =====================  ============================
scale     points  positive ratings       note
========  ======  =====================  ============================
faces5    5       4, 5 (top two)         A-11 Section 280 Likert scale
faces4    4       3, 4 (top two)         FeedbackUSA passport kiosks
three     3       3 (top)
thumbs    2       2 (thumbs up)
========  ======  =====================  ============================

A rating that is not positive is asked the negative follow-up ("What could be
better?"), a positive one the positive follow-up ("What went well?").
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    key: str
    points: int
    positive_from: int
    labels: tuple[str, ...]  # English source strings, worst to best; translated via Babel

    def is_positive(self, rating: int) -> bool:
        return rating >= self.positive_from

    def valid(self, rating: int) -> bool:
        return 1 <= rating <= self.points


SCALES: dict[str, Scale] = {
    "faces5": Scale("faces5", 5, 4, ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")),
    "faces4": Scale("faces4", 4, 3, ("Very dissatisfied", "Dissatisfied", "Satisfied", "Very satisfied")),
    "three": Scale("three", 3, 3, ("Dissatisfied", "Neutral", "Satisfied")),
    "thumbs": Scale("thumbs", 2, 2, ("Thumbs down", "Thumbs up")),
}
DEFAULT_SCALE = "faces5"
MAX_POINTS = max(scale.points for scale in SCALES.values())

# The A-11 Section 280 drivers, in the order of the A-11 export, plus "other".
DRIVERS = ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
DEFAULT_FOLLOWUP = DRIVERS[:6]


def polarity(scale: Scale, rating: int) -> str:
    """Which follow-up wording a rating gets: ``positive`` or ``negative``."""
    return "positive" if scale.is_positive(rating) else "negative"
