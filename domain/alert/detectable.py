"""What a stage can show: the smallest fall a rule would fire on at the stage's volume.

A rule fires when a fall both matters (at least `min_change_points`) and beats chance (the
one-sided test of domain.alert.statistics.compare gives p < `alpha`, shared among the recent
window's lengths). On a small stage the second condition binds: a 5-point fall on 30 customers
a day is indistinguishable from noise at alpha 0.00001, and the team should know that before it
trusts the silence. On a large stage the first binds. The minimum detectable fall is the larger
of the two, in closed form (docs/alerts.md, "What a stage can show", works an example).

The solve: with n_b baseline and n_r recent customers, baseline rate p and a fall d, observed
minus expected recent conversions is −d·n_r and its variance when nothing changed is
n_r·p(1 − p) + n_r²·p(1 − p)/n_b, so z = −d / √(p(1 − p)·k) with k = 1/n_b + 1/n_r, and the
test fires once d ≥ |z_α|·√(p(1 − p)·k). This treats the baseline as one stratum; weekday for
weekday the figure is the same when the weekdays convert alike, and close when they do not.
The expected-outcomes check of `compare` (at least 5 conversions and non-conversions in the
baseline and expected in the recent window) does not depend on the fall: a stage that fails it
cannot show any.
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


def _beyond_chance(*, p: float, k: float, alpha: float) -> float:
    """The smallest fall (as a rate) at which the one-sided test reaches alpha."""
    return -NormalDist().inv_cdf(alpha) * sqrt(p * (1 - p) * k)


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
    converted = round(p * baseline_entered)
    expected = recent_entered * min(p, 1 - p)
    fall = max(
        _beyond_chance(p=p, k=1 / baseline_entered + 1 / recent_entered, alpha=thresholds.alpha),
        thresholds.min_change_points / 100,
    )
    if min(converted, baseline_entered - converted) < MIN_EXPECTED or expected < MIN_EXPECTED:
        return DetectableFall(
            None,
            f"Cannot show any fall at this volume: conversion is {p * 100:.1f} % with "
            f"{recent_entered} recent and {baseline_entered} baseline customers, too few "
            f"conversions (or non-conversions) to test.",
        )
    if fall > p:
        return DetectableFall(
            None,
            f"Cannot show any fall at this volume: conversion is {p * 100:.1f} % with "
            f"{recent_entered} recent and {baseline_entered} baseline customers; a fall that "
            f"would beat chance is larger than conversion itself.",
        )
    points = fall * 100
    return DetectableFall(
        points,
        f"Can detect a fall of {points:.1f} points from {p * 100:.1f} % "
        f"({recent_entered} recent and {baseline_entered} baseline customers).",
    )
