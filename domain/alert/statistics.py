"""When a stage's drop-off worsens for real: the pure decision behind every alert (described
with worked examples in docs/alerts.md).

A rule compares the *recent* cohorts of a stage (customers who entered it in the last few days)
with a *baseline* of the cohorts before them. Both are judged only on matured cohorts:

- conversion is counted within a *horizon* h no longer than the rule's *alert window* A
  (itself shorter than the journey's conversion window): h is learnt from the stage's own time
  to convert (domain.alert.horizon), so that a drop is seen days before A has passed;
- a cohort (one day of entrants, cut in the journey's time zone) is judged only once h has
  elapsed for its last customer, so nobody still inside it is ever counted as lost.

Like with like: each recent day is compared with the baseline's same weekday (direct
standardisation, `standardised`), so a weekly rhythm, a holiday week or traffic swings at the
same conversion look like nothing changed.

An evaluation fires only when both hold:

1. the worsening matters: conversion fell by at least `min_change_points` percentage points
   below what the baseline's same weekdays lead one to expect;
2. it is unlikely to be chance: a one-sided z-test of observed against expected conversions
   gives p < `alpha`, with at least `min_sample` customers on each side and at least
   `MIN_EXPECTED` conversions and non-conversions in the baseline and expected in the recent
   window (below that the normal approximation lies).

Multiple testing: the same series is evaluated every day, so a per-test alpha of 0.05 would
fire on noise every few weeks. The defaults guard against that three ways:
- a conservative alpha: 0.00001 one-sided, about Bonferroni's 0.005 spread over a year of
  daily evaluations (in the simulations 0.001 fired on noise about once in three stage-years
  and 0.0001 a few times in a hundred; a real 15-point fall at normal volume still gives
  z < −5, far beyond it), shared among the recent window's lengths (domain.alert.decision);
- the minimum change in points, which at high volume is the binding condition;
- at most one open alert per rule and stage, then a cooldown at least as long as the recent
  window, so that a new alert is judged on fresh cohorts.
Re-evaluating the same windows (a worker running hourly) adds no new chances: the data are the
same and an open alert blocks a second one. Recovery (auto-resolve) compares against the
baseline stored when the alert fired, not the moving baseline, which would otherwise absorb a
lasting drop and "recover" by itself.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import erfc, sqrt
from typing import NamedTuple
from zoneinfo import ZoneInfo

MIN_EXPECTED = 5


@dataclass(frozen=True)
class Proportion:
    """Customers who entered a stage and those of them who converted within the alert window."""

    entered: int = 0
    converted: int = 0

    @property
    def rate(self) -> float:
        return self.converted / self.entered if self.entered else 0.0

    def __add__(self, other: "Proportion") -> "Proportion":
        return Proportion(self.entered + other.entered, self.converted + other.converted)


class Segment(NamedTuple):
    """A slice of a cohort: `dimension` is "persona" or "channel", `label` its name."""

    dimension: str
    label: str


@dataclass(frozen=True)
class Cohort:
    """The customers who entered a stage on one day and those of them who converted within
    the alert window.

    `segments` breaks the same customers down (by persona, by entry channel) when known.
    `sooner` counts the same customers within shorter horizons than the alert window, by the
    horizon in hours (domain.alert.horizon.ELAPSED_HOURS), for judging young cohorts.
    """

    day: date
    entered: int
    converted: int
    segments: Mapping[Segment, Proportion] = field(default_factory=dict)
    sooner: Mapping[int, "Cohort"] = field(default_factory=dict)

    @property
    def proportion(self) -> Proportion:
        return Proportion(self.entered, self.converted)

    def within(self, hours: int) -> "Cohort":
        """The cohort counted within `hours` of entry: a horizon of `sooner`, else the alert
        window's own count."""
        return self.sooner.get(hours, self)


@dataclass(frozen=True)
class Days:
    """An inclusive range of cohort days."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __len__(self) -> int:
        """Empty (0) when last comes before first: e.g. the days after a moment, none of
        which has matured yet."""
        return max((self.last - self.first).days + 1, 0)


@dataclass(frozen=True)
class Windows:
    """Which cohort days form the baseline and the recent window for one evaluation."""

    baseline: Days
    recent: Days


def matured_windows(
    as_of: datetime,
    *,
    alert_window: timedelta,
    recent_days: int,
    baseline_days: int,
    timezone: str = "UTC",
) -> Windows:
    """The last `recent_days` matured cohort days and the `baseline_days` before them.

    Day d (in the journey's time zone) has matured when its end plus the alert window lies at
    or before `as_of`.
    """
    latest_end = (as_of - alert_window).astimezone(ZoneInfo(timezone))
    last = latest_end.date() - timedelta(days=1)
    recent = Days(last - timedelta(days=recent_days - 1), last)
    baseline = Days(recent.first - timedelta(days=baseline_days), recent.first - timedelta(days=1))
    return Windows(baseline=baseline, recent=recent)


@dataclass(frozen=True)
class Thresholds:
    """How large and how unlikely a worsening must be to fire (defaults: see alert rules)."""

    min_change_points: float = 5.0
    alpha: float = 0.00001
    min_sample: int = 50


@dataclass(frozen=True)
class Comparison:
    """The figures of one test of recent against baseline conversion, and its verdict."""

    baseline: Proportion
    recent: Proportion
    # Recent conversion expected at the baseline's rates of the same weekdays (0–1); None
    # when a side is empty.
    expected_rate: float | None
    change_points: float  # recent minus expected conversion, in points; negative is worse
    z: float | None
    p_value: float | None
    fires: bool
    reason: str


class Stratum(NamedTuple):
    """The baseline and recent customers of one weekday (or of all days, unstratified)."""

    baseline: Proportion
    recent: Proportion


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _p(p_value: float) -> str:
    return "p < 0.000001" if p_value < 1e-6 else f"p = {p_value:.2g}"


def _testable(proportion: Proportion) -> bool:
    """Enough conversions and non-conversions for its rate to stand in a normal test."""
    return min(proportion.converted, proportion.entered - proportion.converted) >= MIN_EXPECTED


def standardised(
    baseline: Proportion, strata: Sequence[Stratum], *, min_sample: int
) -> tuple[float, float]:
    """Recent conversions expected at the baseline's rate of each stratum, and the variance of
    observed minus expected when nothing changed (direct standardisation).

    Expected = Σ n_w·p_w over the strata's recent customers n_w and baseline rates p_w;
    variance = Σ n_w·p_w(1 − p_w) (the recent customers' own noise) + Σ n_w²·p_w(1 − p_w)/N_w
    (the noise of each baseline rate, from its N_w customers). A stratum whose baseline has
    fewer than `min_sample` customers, or too few conversions or non-conversions, uses the
    whole baseline's rate instead; those strata share that one estimate, so its noise counts
    once for all of their customers together.
    """
    overall = baseline.rate
    expected = variance = 0.0
    falling_back = 0
    for stratum in strata:
        n = stratum.recent.entered
        if not n:
            continue
        if stratum.baseline.entered >= min_sample and _testable(stratum.baseline):
            p = stratum.baseline.rate
            variance += n * p * (1 - p) + n * n * p * (1 - p) / stratum.baseline.entered
        else:
            p = overall
            variance += n * p * (1 - p)
            falling_back += n
        expected += n * p
    variance += falling_back**2 * overall * (1 - overall) / baseline.entered
    return expected, variance


def compare(
    baseline: Proportion,
    recent: Proportion,
    thresholds: Thresholds,
    strata: Sequence[Stratum] = (),
) -> Comparison:
    """Does recent conversion fall short of what the baseline's same weekdays lead one to
    expect, by enough and beyond chance?

    `strata` split both sides by weekday; without them the whole baseline is one stratum.
    """
    strata = strata or (Stratum(baseline, recent),)
    expected_rate, expected, variance = None, 0.0, 0.0
    if baseline.entered and recent.entered:
        expected, variance = standardised(baseline, strata, min_sample=thresholds.min_sample)
        expected_rate = expected / recent.entered
    # Rounded far below anything shown, so that a fall of exactly the minimum (5 points from
    # 50 % to 45 %) is not judged as 4.999… by binary floating point.
    change = round((recent.rate - (expected_rate or 0.0)) * 100, 9)

    def verdict(reason: str, z: float | None = None, p: float | None = None, fires=False):
        return Comparison(baseline, recent, expected_rate, change, z, p, fires, reason)

    for side, sample in (("recent window", recent), ("baseline", baseline)):
        if sample.entered < thresholds.min_sample:
            return verdict(
                f"Not enough customers to judge: {sample.entered} matured in the {side}, "
                f"{thresholds.min_sample} needed."
            )
    assert expected_rate is not None
    expected_outcomes = recent.entered * min(expected_rate, 1 - expected_rate)
    if not _testable(baseline) or expected_outcomes < MIN_EXPECTED:
        return verdict(
            f"Too few conversions (or non-conversions) to test: conversion is "
            f"{_percent(baseline.rate)} over {baseline.entered} baseline customers, "
            f"{recent.entered} recent."
        )
    figures = (
        f"conversion {_percent(recent.rate)} ({recent.entered} customers) against a baseline "
        f"of {_percent(baseline.rate)} ({baseline.entered} customers)"
    )
    if abs(expected_rate - baseline.rate) >= 0.0005:
        figures += f", {_percent(expected_rate)} expected on these weekdays"
    figures += f", {change:+.1f} points"
    z = (recent.converted - expected) / sqrt(variance)
    p = 0.5 * erfc(-z / sqrt(2))  # P(Z <= z)
    if -change < thresholds.min_change_points:
        return verdict(
            f"No alert: {figures}; an alert needs a fall of at least "
            f"{thresholds.min_change_points:.1f} points.",
            z,
            p,
        )
    if p >= thresholds.alpha:
        return verdict(
            f"No alert: {figures}, but that could be chance ({_p(p)}; an alert needs "
            f"p < {thresholds.alpha:.2g}).",
            z,
            p,
        )
    return verdict(f"Conversion fell: {figures}; unlikely to be chance ({_p(p)}).", z, p, True)


@dataclass(frozen=True)
class Evaluation:
    """One rule's verdict on one stage as of a time, with what drives the change."""

    windows: Windows
    horizon: timedelta  # conversion was counted within this time of entry
    comparison: Comparison
    driver: "Contribution | None"
    # The recent window broken down by segment: for recovery checks and the alert message.
    recent_segments: Mapping[Segment, Proportion]

    @property
    def fires(self) -> bool:
        return self.comparison.fires


class _Side:
    """One window's cohorts summed: in total, per weekday and per segment."""

    def __init__(self) -> None:
        # Plain counts, not Proportions: a year replayed day by day sums a lot of cohorts.
        self.entered, self.converted = [0] * 7, [0] * 7
        self.segments: dict[Segment, Proportion] = {}

    def add(self, cohort: Cohort) -> None:
        weekday = cohort.day.weekday()  # days are local to the journey already
        self.entered[weekday] += cohort.entered
        self.converted[weekday] += cohort.converted
        for segment, proportion in cohort.segments.items():
            self.segments[segment] = self.segments.get(segment, Proportion()) + proportion

    @property
    def weekdays(self) -> list[Proportion]:
        return [Proportion(*counts) for counts in zip(self.entered, self.converted, strict=True)]

    @property
    def total(self) -> Proportion:
        return Proportion(sum(self.entered), sum(self.converted))


def evaluate(
    cohorts: Sequence[Cohort], windows: Windows, thresholds: Thresholds, *, horizon: timedelta
) -> Evaluation:
    """Sum the cohorts (counted within `horizon`) into baseline and recent, compare them
    weekday for weekday and find the main driver."""
    baseline, recent = _Side(), _Side()
    for cohort in cohorts:
        if windows.recent.first <= cohort.day <= windows.recent.last:
            recent.add(cohort)
        elif windows.baseline.first <= cohort.day <= windows.baseline.last:
            baseline.add(cohort)
    strata = [Stratum(b, r) for b, r in zip(baseline.weekdays, recent.weekdays, strict=True)]
    comparison = compare(baseline.total, recent.total, thresholds, strata)
    driver = None
    if comparison.fires:
        driver = main_driver(
            comparison.baseline, comparison.recent, baseline.segments, recent.segments
        )
    return Evaluation(windows, horizon, comparison, driver, recent.segments)


@dataclass(frozen=True)
class Contribution:
    """How much of the change in overall conversion (in points) one segment accounts for."""

    segment: Segment
    points: float
    share: float  # of the overall change; 0.6 means 60 % of the fall


def contributions(
    baseline: Proportion,
    recent: Proportion,
    baseline_segments: Mapping[Segment, Proportion],
    recent_segments: Mapping[Segment, Proportion],
) -> list[Contribution]:
    """Split the change in conversion between the segments of one dimension, worst first.

    The change p_r − p_b equals Σ_s w_r,s·(p_r,s − p_b,s) + Σ_s (w_r,s − w_b,s)·(p_b,s − p_b):
    each segment's own fall weighted by its recent share (it converts worse) plus its change in
    share times how it compared with the average (more customers now come from a segment that
    always converted worse). A segment new in the recent window is compared with the overall
    baseline. The contributions of a complete breakdown add up to the overall change.
    """
    if not baseline.entered or not recent.entered:
        return []
    # Rounded far below anything shown, so that a fall of exactly the minimum (5 points from
    # 50 % to 45 %) is not judged as 4.999… by binary floating point.
    change = round((recent.rate - baseline.rate) * 100, 9)
    result = []
    for segment in set(baseline_segments) | set(recent_segments):
        before = baseline_segments.get(segment, Proportion())
        now = recent_segments.get(segment, Proportion())
        before_rate = before.rate if before.entered else baseline.rate
        weight_now, weight_before = now.entered / recent.entered, before.entered / baseline.entered
        points = 100 * (
            weight_now * (now.rate - before_rate)
            + (weight_now - weight_before) * (before_rate - baseline.rate)
        )
        result.append(Contribution(segment, points, points / change if change else 0.0))
    return sorted(result, key=lambda c: (c.points, c.segment))


def main_driver(
    baseline: Proportion,
    recent: Proportion,
    baseline_segments: Mapping[Segment, Proportion],
    recent_segments: Mapping[Segment, Proportion],
) -> Contribution | None:
    """The persona or entry channel that accounts for most of the fall, if any segment does.

    Each dimension is split separately (a customer is in one persona and one channel) and the
    single largest negative contribution across them is named.
    """
    candidates: list[Contribution] = []
    for dimension in sorted({s.dimension for s in (*baseline_segments, *recent_segments)}):
        candidates += contributions(
            baseline,
            recent,
            {s: p for s, p in baseline_segments.items() if s.dimension == dimension},
            {s: p for s, p in recent_segments.items() if s.dimension == dimension},
        )
    worst = min(candidates, key=lambda c: (c.points, c.segment), default=None)
    return worst if worst is not None and worst.points < 0 else None


@dataclass(frozen=True)
class Recovery:
    recovered: bool
    reason: str


def recovery(
    *,
    fired_on: float,
    comparison: Comparison,
    tolerance_points: float,
    min_sample: int,
) -> Recovery:
    """Is recent conversion back within `tolerance_points` of the baseline the alert fired on
    (`fired_on`, 0–1), weekday for weekday?

    The alert's baseline is one rate; the recent days may be weaker weekdays than average.
    So the expectation is that rate scaled by how the recent days' weekdays compare with the
    whole current baseline (`comparison.expected_rate` against its overall rate): the weekly
    pattern is taken from the moving baseline, the level from the stored one, which a lasting
    drop cannot absorb.
    """
    recent = comparison.recent
    if recent.entered < min_sample:
        return Recovery(
            False,
            f"Not enough customers to judge recovery: {recent.entered} of {min_sample} needed.",
        )
    expected = fired_on
    current = comparison.baseline.rate
    if comparison.expected_rate is not None and current > 0:
        expected = min(1.0, fired_on * comparison.expected_rate / current)
    gap = (recent.rate - expected) * 100
    figures = (
        f"conversion {_percent(recent.rate)} ({recent.entered} customers) against the "
        f"baseline of {_percent(fired_on)}"
    )
    if abs(expected - fired_on) >= 0.0005:
        figures += f" ({_percent(expected)} on these weekdays)"
    if gap >= -tolerance_points:
        return Recovery(True, f"Recovered: {figures}, within {tolerance_points:.1f} points.")
    return Recovery(False, f"Still below: {figures}, {gap:+.1f} points.")
