"""The positive rule per scale, written out rating by rating (feedback/scales.py's table)."""

from __future__ import annotations

import pytest

from feedback.scales import DEFAULT_FOLLOWUP, DEFAULT_SCALE, DRIVERS, MAX_POINTS, SCALES, polarity

# scale -> (points, the ratings that count as positive), straight from the documented table.
RULES = {
    "faces5": (5, {4, 5}),
    "faces4": (4, {3, 4}),
    "three": (3, {3}),
    "thumbs": (2, {2}),
}


def test_known_scales():
    assert set(SCALES) == set(RULES)
    assert DEFAULT_SCALE == "faces5"
    # The rollups keep r1..r5, so no scale may have more than five points.
    assert MAX_POINTS == 5


@pytest.mark.parametrize("key", sorted(RULES))
def test_points_and_labels(key):
    scale = SCALES[key]
    points, _ = RULES[key]
    assert scale.key == key
    assert scale.points == points
    # One English label per point, worst to best.
    assert len(scale.labels) == points


@pytest.mark.parametrize(
    ("key", "rating", "positive"),
    [(key, rating, rating in RULES[key][1]) for key in sorted(RULES) for rating in range(1, RULES[key][0] + 1)],
)
def test_positive_rule_and_polarity(key, rating, positive):
    scale = SCALES[key]
    assert scale.is_positive(rating) is positive
    assert polarity(scale, rating) == ("positive" if positive else "negative")


@pytest.mark.parametrize("key", sorted(RULES))
def test_valid_range(key):
    scale = SCALES[key]
    points, _ = RULES[key]
    assert not scale.valid(0)
    assert all(scale.valid(r) for r in range(1, points + 1))
    assert not scale.valid(points + 1)


def test_labels_read_worst_to_best():
    assert SCALES["faces5"].labels[0] == "Very dissatisfied"
    assert SCALES["faces5"].labels[-1] == "Very satisfied"
    assert SCALES["thumbs"].labels == ("Thumbs down", "Thumbs up")


def test_followup_drivers():
    # The six A-11 drivers in export order, plus "other" (never offered by default).
    assert DRIVERS == ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
    assert DRIVERS[:6] == DEFAULT_FOLLOWUP
