"""Wilson score intervals against published values, and the met / not met / too few verdict.

Reference: Newcombe R.G. (1998), "Two-sided confidence intervals for the single proportion:
comparison of seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (score
interval without continuity correction), 95 %. The paper prints four decimals.
"""

from __future__ import annotations

import pytest

from feedback.services.stats import VERDICTS, Z_95, Interval, verdict, wilson_interval

NEWCOMBE_TABLE_I_METHOD_3 = [
    # (positive, n, lower, upper)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("positive", "n", "low", "high"), NEWCOMBE_TABLE_I_METHOD_3)
def test_wilson_interval_matches_newcombe_1998(positive, n, low, high):
    interval = wilson_interval(positive, n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_z_is_the_two_sided_95_percent_quantile():
    from statistics import NormalDist

    assert pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-12) == Z_95


def test_interval_at_zero_and_at_all_positive_is_mirrored_and_closed():
    none = wilson_interval(0, 29)
    every = wilson_interval(29, 29)
    assert none.low == 0.0 and every.high == 1.0  # exact, not 1e-17 of rounding noise
    assert every.low == pytest.approx(1 - none.high, abs=1e-12)
    assert round(none.high, 4) == 0.1170  # 3.84 / (29 + 3.84), the score bound at p = 0


def test_interval_contains_the_observed_share_and_narrows_with_n():
    small, large = wilson_interval(9, 12), wilson_interval(750, 1000)
    assert 0.75 in small and 0.75 in large
    assert (small.high - small.low) > 4 * (large.high - large.low)
    assert isinstance(small, Interval)


def test_edge_cases():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(3, -1) is None
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(13, 12)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(-1, 12)


@pytest.mark.parametrize(
    ("positive", "n", "target", "expected"),
    [
        (9, 12, 0.8, "too_few"),  # 75 % of 12: the interval (0.47, 0.91) still reaches 80 %
        (750, 1000, 0.8, "not_met"),  # 75 % of 1000: upper bound 0.776 < 0.80
        (700, 1000, 0.8, "not_met"),
        (85, 100, 0.8, "met"),
        (80, 100, 0.8, "met"),  # exactly on target
        (1, 1, 0.8, "met"),  # the observed share reaches it, however few
        (0, 12, 0.8, "not_met"),  # none positive: upper bound 0.24, clearly short even at 12
        (76, 100, 0.8, "too_few"),  # a little short at 100: the interval reaches 0.83
        (10, 12, None, "no_target"),
        (0, 0, None, "no_target"),
        (0, 0, 0.8, "no_data"),
    ],
)
def test_verdict(positive, n, target, expected):
    assert verdict(positive, n, target) == expected
    assert expected in VERDICTS


def test_verdict_refuses_more_positive_than_responses():
    with pytest.raises(ValueError, match="between 0 and n"):
        verdict(13, 12, 0.8)
