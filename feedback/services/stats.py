"""Confidence intervals for a share (CSAT is the share of positive ratings).

The Wilson score interval (Wilson 1927; method 3 in Newcombe 1998) stays inside
0..1 and behaves at small counts and at 0 % or 100 %, where the textbook
normal interval collapses to a point. A location with 12 responses gets a wide
interval, so a verdict against a target can say "too few to tell" instead of
declaring it failing on noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95 %


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def wilson_interval(positive: int, n: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval for ``positive`` successes in ``n`` trials; None when n is 0."""
    if n <= 0:
        return None
    if not 0 <= positive <= n:
        raise ValueError(f"positive must be between 0 and n ({positive} of {n})")
    p = positive / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    # Clamp rounding noise: at p = 0 or 1 one bound is exactly 0 or 1.
    low = 0.0 if positive == 0 else max(0.0, (centre - margin) / denominator)
    high = 1.0 if positive == n else min(1.0, (centre + margin) / denominator)
    return Interval(low, high)


VERDICTS = ("met", "not_met", "too_few", "no_target", "no_data")


def verdict(positive: int, n: int, target: float | None, z: float = Z_95) -> str:
    """Whether a share meets ``target``: ``met``, ``not_met``, ``too_few``, ``no_target`` or ``no_data``.

    ``met`` when the observed share reaches the target; ``not_met`` only when even the
    interval's upper bound is below it (the shortfall is not noise); a share below the
    target whose interval still reaches it is ``too_few`` to tell.
    """
    if target is None:
        return "no_target"
    interval = wilson_interval(positive, n, z)
    if interval is None:
        return "no_data"
    if positive / n >= target:
        return "met"
    if interval.high < target:
        return "not_met"
    return "too_few"


# --- changes between two periods ---------------------------------------------------------------

CHANGES = ("up", "down", "same")


def difference_interval(positive1: int, n1: int, positive2: int, n2: int, z: float = Z_95) -> Interval | None:
    """Newcombe's hybrid score interval (method 10 in Newcombe 1998) for ``p1 - p2``, built from
    the two Wilson intervals; None when either count is 0."""
    a, b = wilson_interval(positive1, n1, z), wilson_interval(positive2, n2, z)
    if a is None or b is None:
        return None
    p1, p2 = positive1 / n1, positive2 / n2
    diff = p1 - p2
    low = diff - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2)
    high = diff + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2)
    return Interval(low, high)


def share_change(positive1: int, n1: int, positive2: int, n2: int, z: float = Z_95) -> str | None:
    """``up``, ``down`` or ``same`` for a share now (1) against before (2): a change only when the
    95 % interval of the difference leaves out 0; None without data on either side."""
    interval = difference_interval(positive1, n1, positive2, n2, z)
    if interval is None:
        return None
    return "up" if interval.low > 0 else "down" if interval.high < 0 else "same"


def count_change(now: int, before: int, z: float = Z_95) -> str | None:
    """``up``, ``down`` or ``same`` for two counts over spans of the same length (Poisson): under
    no change each of the ``now + before`` events is as likely to fall in either span, so the
    change is real only when the Wilson interval of ``now``'s share leaves out one half."""
    interval = wilson_interval(now, now + before, z)
    if interval is None:
        return None
    return "up" if interval.low > 0.5 else "down" if interval.high < 0.5 else "same"


def mean_change(mean1: float, var1: float, n1: int, mean2: float, var2: float, n2: int, z: float = Z_95) -> str | None:
    """``up``, ``down`` or ``same`` for two means (Welch's normal interval of the difference)."""
    if n1 < 2 or n2 < 2:
        return None
    margin = z * math.sqrt(var1 / n1 + var2 / n2)
    diff = mean1 - mean2
    return "up" if diff - margin > 0 else "down" if diff + margin < 0 else "same"
