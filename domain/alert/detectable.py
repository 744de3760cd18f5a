"""What a stage can show: the smallest fall a rule would fire on at the stage's volume.

A rule fires when a fall both matters (at least `min_change_points`) and beats chance (the
one-sided pooled z-test of domain.alert.statistics.compare gives p < `alpha`). On a small stage
the second condition binds: a 5-point fall on 30 customers a day is indistinguishable from noise
at alpha 0.00001, and the team should know that before it trusts the silence. On a large stage
the first binds. The minimum detectable fall is the larger of the two, solved in closed form
(docs/alerts.md, "What a stage can show", works an example).

The solve: with n_b baseline and n_r recent customers, baseline rate p and a fall d, the recent
rate is p − d and the pooled rate q = p − c·d with c = n_r / (n_b + n_r). The test fires once
d ≥ |z_α|·√(q(1 − q)·k), k = 1/n_b + 1/n_r. Squaring and writing q out gives a quadratic in d,
    (1 + z²kc²)·d² − z²kc(2p − 1)·d − z²k·p(1 − p) = 0,
whose positive root is the smallest fall beyond chance (the left side of the test grows with d,
so larger falls fire too). The expected-outcomes check of `compare` (at least 5 conversions and
non-conversions on the smaller side) adds its own bounds: a stage whose falls would leave too
few conversions to test cannot show any.
"""

from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist

from domain.alert.statistics import MIN_EXPECTED, Thresholds

# A rule on a stage that cannot show a fall of this many points is flagged when it is created.
SMALL_STAGE_POINTS = 10.0


@dataclass(frozen=True)
class DetectableFall:
    """The smallest fall in points the rule would fire on now, or None with why it cannot."""

    points: float | None
    reason: str

    def shows(self, points: float) -> bool:
        """Would a fall of `points` (or more) fire?"""
        return self.points is not None and self.points <= points


def _beyond_chance(*, p: float, c: float, k: float, alpha: float) -> float:
    """The smallest fall (as a rate) at which the one-sided pooled z-test reaches alpha."""
    z2k = NormalDist().inv_cdf(alpha) ** 2 * k
    a = 1 + z2k * c * c
    b = -z2k * c * (2 * p - 1)
    constant = -z2k * p * (1 - p)
    return (-b + sqrt(b * b - 4 * a * constant)) / (2 * a)


def detectable_fall(
    *, baseline_entered: int, recent_entered: int, baseline_rate: float, thresholds: Thresholds
) -> DetectableFall:
    """The smallest fall in conversion, in points, that `compare` fires on with these samples.

    `baseline_entered` and `recent_entered` are the customers of the evaluation's two windows,
    `baseline_rate` the baseline's conversion (0–1).
    """
    for side, entered in (("recent window", recent_entered), ("baseline", baseline_entered)):
        if entered < thresholds.min_sample:
            return DetectableFall(
                None,
                f"Cannot judge yet: {entered} matured customers in the {side}, "
                f"{thresholds.min_sample} needed.",
            )
    p = baseline_rate
    c = recent_entered / (baseline_entered + recent_entered)
    smaller = min(baseline_entered, recent_entered)
    fall = max(
        _beyond_chance(
            p=p, c=c, k=1 / baseline_entered + 1 / recent_entered, alpha=thresholds.alpha
        ),
        thresholds.min_change_points / 100,
        # Enough non-conversions: the pooled rate must fall to 1 − 5/smaller or below.
        (p - (1 - MIN_EXPECTED / smaller)) / c,
    )
    # A fall is counted in whole recent customers: the pooled rate one customer further down
    # must still leave enough conversions to test.
    pooled = p - c * fall - 1 / (baseline_entered + recent_entered)
    if fall > p or smaller * pooled < MIN_EXPECTED:
        return DetectableFall(
            None,
            f"Cannot show any fall at this volume: conversion is {p * 100:.1f} % with "
            f"{recent_entered} recent and {baseline_entered} baseline customers; a fall that "
            f"would beat chance leaves too few conversions to test.",
        )
    points = fall * 100
    return DetectableFall(
        points,
        f"Can detect a fall of {points:.1f} points from {p * 100:.1f} % "
        f"({recent_entered} recent and {baseline_entered} baseline customers).",
    )
