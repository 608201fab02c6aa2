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

from collections.abc import Sequence
from dataclasses import dataclass

from feedback.i18n import N_


@dataclass(frozen=True)
class Scale:
    key: str
    points: int
    positive_from: int
    labels: tuple[str, ...]  # English source strings, worst to best; translated via Babel

    def is_positive(self, rating: int) -> bool:
        return rating >= self.positive_from

    def positives(self, counts: Sequence[int]) -> int:
        """How many of ``counts`` (responses per rating, ``counts[0]`` for rating 1) are positive."""
        return sum(n for rating, n in enumerate(counts[: self.points], start=1) if self.is_positive(rating))

    def valid(self, rating: int) -> bool:
        return 1 <= rating <= self.points


SCALES: dict[str, Scale] = {
    "faces5": Scale(
        "faces5",
        5,
        4,
        (N_("Very dissatisfied"), N_("Dissatisfied"), N_("Neutral"), N_("Satisfied"), N_("Very satisfied")),
    ),
    "faces4": Scale(
        "faces4", 4, 3, (N_("Very dissatisfied"), N_("Dissatisfied"), N_("Satisfied"), N_("Very satisfied"))
    ),
    "three": Scale("three", 3, 3, (N_("Dissatisfied"), N_("Neutral"), N_("Satisfied"))),
    "thumbs": Scale("thumbs", 2, 2, (N_("Thumbs down"), N_("Thumbs up"))),
}
DEFAULT_SCALE = "faces5"
MAX_POINTS = max(scale.points for scale in SCALES.values())

# The A-11 Section 280 drivers, in the order of the A-11 export, plus "other".
DRIVERS = ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
DEFAULT_FOLLOWUP = DRIVERS[:6]

# Chip wording per driver: (after a positive rating, after a negative one), after A-11 Section 280.
DRIVER_LABELS = {
    "effectiveness": (N_("I got what I needed"), N_("I did not get what I needed")),
    "ease": (N_("It was easy"), N_("It was difficult")),
    "efficiency": (N_("It was quick"), N_("It took too long")),
    "transparency": (N_("The process was clear"), N_("The process was confusing")),
    "humanity": (N_("I was treated with respect"), N_("I was not treated with respect")),
    "employee": (N_("Staff were helpful"), N_("Staff were not helpful")),
    "other": (N_("Something else"), N_("Something else")),
}


def polarity(scale: Scale, rating: int) -> str:
    """Which follow-up wording a rating gets: ``positive`` or ``negative``."""
    return "positive" if scale.is_positive(rating) else "negative"
