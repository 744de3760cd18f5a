"""Did a stage's conversion change after a moment? The pure comparison behind an action's
outcome and an alert's proof of recovery (docs/alerts.md, "Before and after a moment").

It uses the statistics of the alerts (domain.alert.statistics): daily cohorts of entrants,
conversion within the alert window, matured cohorts only, `min_sample` customers and
`MIN_EXPECTED` expected (non-)conversions on each side, the pooled two-proportion z-test.
What differs is the question and so the test:

- *before* is the `baseline_days` cohort days before the moment's day (or a proportion given,
  such as the baseline an alert fired on); *after* starts the day after the moment's day. The
  moment's own day mixes customers from before and after it and is left out of both;
- *after* holds the first `recent_days` matured days, grown a day at a time until it has
  `min_sample` customers and enough expected outcomes, at most `baseline_days` days. The
  length depends only on how many customers entered, never on how they converted, so waiting
  for enough customers is not peeking at the result;
- the verdict is two-sided (better, no change or worse) at `ALPHA` = 0.01. An alert rule is
  tested every day, hence its 0.00001; an outcome is tested once, on the first after-window
  that is large enough, so the per-test alpha is the real false-verdict rate. 0.05 would tell
  one team in twenty that an action worked when nothing changed, in a message sent to
  everyone who raised the problem; 0.01 makes that one in a hundred while a 5-point change at
  300 customers a day still shows (900 after against 8,400 before: |z| ≈ 2.9);
- a change smaller than half the rule's `min_change_points` (the tolerance an alert's
  recovery allows) is "no change" however significant: at thousands of customers a day a
  0.5-point move is real but not what anyone acted for.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from math import erfc, sqrt
from typing import Any
from zoneinfo import ZoneInfo

from domain.alert.decision import Policy
from domain.alert.statistics import (
    MIN_EXPECTED,
    Cohort,
    Days,
    Proportion,
    Stratum,
    matured_windows,
    standardised,
)

ALPHA = 0.01


class Verdict(StrEnum):
    BETTER = "better"
    NO_CHANGE = "no_change"
    WORSE = "worse"
    NOT_YET = "not_yet"  # the after-window has not matured, or holds too few customers yet
    TOO_FEW = "too_few"  # never will: too few customers before, or after at the longest

    @property
    def known(self) -> bool:
        """A verdict that will not change any more (everything but NOT_YET)."""
        return self is not Verdict.NOT_YET


@dataclass(frozen=True)
class BeforeAfter:
    """One comparison of conversion before and after a moment, with figures fit to show."""

    verdict: Verdict
    before: Proportion
    after: Proportion
    after_days: Days | None  # the cohort days judged as after (None before any matured)
    change_points: float  # after minus before, in points; negative is worse
    z: float | None
    p_value: float | None  # two-sided
    sentence: str


def moment_day(moment: datetime, timezone: str) -> date:
    """The local day the moment falls on: left out of both sides."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def before_days(moment: datetime, policy: Policy) -> Days:
    """The `baseline_days` cohort days before the moment's day."""
    day = moment_day(moment, policy.timezone)
    return Days(day - timedelta(days=policy.baseline_days), day - timedelta(days=1))


def after_days(moment: datetime, policy: Policy, *, at: datetime) -> Days:
    """The after-days that may be judged as of `at`: from the day after the moment's to the
    last matured one, at most `baseline_days` of them (empty when none has matured)."""
    first = moment_day(moment, policy.timezone) + timedelta(days=1)
    last_matured = matured_windows(
        at,
        alert_window=policy.alert_window,
        recent_days=1,
        baseline_days=1,
        timezone=policy.timezone,
    ).recent.last
    return Days(first, min(last_matured, first + timedelta(days=policy.baseline_days - 1)))


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _p(p_value: float) -> str:
    return "p < 0.000001" if p_value < 1e-6 else f"p = {p_value:.2g}"


def _enough(before: Proportion, after: Proportion, min_sample: int) -> bool:
    if after.entered < min_sample:
        return False
    pooled = (before.converted + after.converted) / (before.entered + after.entered)
    return min(before.entered, after.entered) * min(pooled, 1 - pooled) >= MIN_EXPECTED


def two_sided_z_test(before: Proportion, after: Proportion) -> tuple[float, float]:
    """The z statistic of after against before, as the alerts compute it (after's conversions
    against those expected at before's rate, with both sides' noise), and its two-sided
    p-value."""
    expected, variance = standardised(before, (Stratum(before, after),), min_sample=0)
    if variance <= 0:
        return 0.0, 1.0
    z = (after.converted - expected) / sqrt(variance)
    return z, erfc(abs(z) / sqrt(2))


def compare_before_after(
    cohorts: Sequence[Cohort],
    *,
    moment: datetime,
    policy: Policy,
    at: datetime,
    before: Proportion | None = None,
    alpha: float = ALPHA,
) -> BeforeAfter:
    """Judge conversion after `moment` against before it, as of `at`.

    `cohorts` are the stage's daily cohorts (conversion within `policy.alert_window`) of the
    before-days (unless `before` is given) and the after-days; others are ignored.
    """
    possible = after_days(moment, policy, at=at)
    matured = max(len(possible), 0)
    if before is None:
        window = before_days(moment, policy)
        before = sum((c.proportion for c in cohorts if c.day in window), Proportion())
    if matured < policy.recent_days:
        return _unknown(
            Verdict.NOT_YET,
            before,
            f"Not yet: {matured} of {policy.recent_days} days after have matured.",
        )
    min_sample = policy.thresholds.min_sample
    if before.entered < min_sample:
        return _unknown(
            Verdict.TOO_FEW,
            before,
            f"Too few customers before to compare: {before.entered}, {min_sample} needed.",
        )
    by_day = {c.day: c.proportion for c in cohorts if c.day in possible}
    after = Proportion()
    for n in range(matured):
        day = possible.first + timedelta(days=n)
        after += by_day.get(day, Proportion())
        if n + 1 >= policy.recent_days and _enough(before, after, min_sample):
            return _judge(before, after, Days(possible.first, day), policy, alpha)
    if matured >= policy.baseline_days:
        return _unknown(
            Verdict.TOO_FEW,
            before,
            f"Too few customers after to compare: {after.entered} in {matured} days.",
            after,
        )
    return _unknown(
        Verdict.NOT_YET,
        before,
        f"Not yet: {after.entered} customers after so far, {min_sample} needed.",
        after,
    )


def _unknown(
    verdict: Verdict, before: Proportion, sentence: str, after: Proportion = Proportion()
) -> BeforeAfter:
    return BeforeAfter(verdict, before, after, None, 0.0, None, None, sentence)


def _judge(
    before: Proportion, after: Proportion, days: Days, policy: Policy, alpha: float
) -> BeforeAfter:
    # Rounded far below anything shown, as in domain.alert.statistics.compare.
    change = round((after.rate - before.rate) * 100, 9)
    z, p = two_sided_z_test(before, after)
    tolerance = policy.recovery_tolerance_points
    figures = (
        f"from {_percent(before.rate)} ({before.entered:,} customers before) to "
        f"{_percent(after.rate)} ({after.entered:,} after), {change:+.1f} points"
    )
    if p < alpha and change >= tolerance:
        verdict, sentence = Verdict.BETTER, f"Better: conversion went {figures} ({_p(p)})."
    elif p < alpha and change <= -tolerance:
        verdict, sentence = Verdict.WORSE, f"Worse: conversion went {figures} ({_p(p)})."
    elif p < alpha:
        verdict = Verdict.NO_CHANGE
        sentence = f"No change that matters: conversion went {figures} ({_p(p)})."
    else:
        verdict = Verdict.NO_CHANGE
        sentence = f"No change beyond chance: conversion went {figures} ({_p(p)})."
    return BeforeAfter(verdict, before, after, days, change, z, p, sentence)


def record(result: BeforeAfter) -> dict[str, Any]:
    """The figures as stored (an action's `outcome`, an alert's `proof`): plain JSON."""
    days = result.after_days
    return {
        "verdict": result.verdict.value,
        "before_entered": result.before.entered,
        "before_converted": result.before.converted,
        "after_entered": result.after.entered,
        "after_converted": result.after.converted,
        "after_first": days.first.isoformat() if days else None,
        "after_last": days.last.isoformat() if days else None,
        "change_points": result.change_points,
        "z": result.z,
        "p_value": result.p_value,
        "sentence": result.sentence,
    }
