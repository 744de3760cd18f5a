"""What one evaluation of a rule means for one stage: fire, resolve itself, or hold.

Pure, so that the worker, `alerts evaluate --at`, backtests and the simulation tests all make
exactly the same decision from the same figures.

How a stage is judged (`judge`): conversion is counted within a horizon h learnt from the
stage's matured baseline (domain.alert.horizon), so a cohort is judged once h has passed since
its day ended; the recent window grows from the newest matured day up to `recent_days`, each
length tested at alpha / `recent_days` (Bonferroni), so that a large fall fires on one day
while a smaller one waits for the evidence of several; and each length is compared weekday for
weekday with the baseline (domain.alert.statistics.compare).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.alert.horizon import FLOOR, learn_horizon
from domain.alert.statistics import (
    Cohort,
    Days,
    Evaluation,
    Recovery,
    Thresholds,
    Windows,
    evaluate,
    matured_windows,
    recovery,
)


@dataclass(frozen=True)
class Policy:
    """A rule's settings resolved against its journey (see domain.alert_rule for defaults)."""

    thresholds: Thresholds
    recent_days: int
    baseline_days: int
    alert_window: timedelta
    cooldown: timedelta
    timezone: str = "UTC"

    @property
    def recovery_tolerance_points(self) -> float:
        """Half the change that fires: back within it counts as recovered."""
        return self.thresholds.min_change_points / 2

    @property
    def per_test(self) -> Thresholds:
        """The thresholds of each recent window length: alpha shared among the lengths."""
        return replace(self.thresholds, alpha=self.thresholds.alpha / self.recent_days)

    def windows(self, as_of: datetime, horizon: timedelta | None = None) -> Windows:
        """The windows of cohorts matured within `horizon` (default: the alert window)."""
        return matured_windows(
            as_of,
            alert_window=horizon or self.alert_window,
            recent_days=self.recent_days,
            baseline_days=self.baseline_days,
            timezone=self.timezone,
        )

    def reading_days(self, as_of: datetime) -> Days:
        """Every cohort day an evaluation as of `as_of` may judge, whatever its horizon."""
        shortest = min(FLOOR, self.alert_window)
        return Days(self.windows(as_of).baseline.first, self.windows(as_of, shortest).recent.last)


def judge(
    cohorts: Sequence[Cohort],
    policy: Policy,
    *,
    at: datetime,
    horizon: timedelta | None = None,
    grow: bool = True,
) -> Evaluation:
    """Evaluate the stage as of `at` within `horizon` (default: learnt from the cohorts matured
    within the alert window). With `grow`, the first recent window length from the longest
    down that fires, else the whole window; without, the whole window."""
    if horizon is None:
        learning = policy.windows(at).baseline
        horizon = learn_horizon((c for c in cohorts if c.day in learning), policy.alert_window)
    hours = int(horizon.total_seconds() // 3600)
    counted = [c.within(hours) for c in cohorts]
    windows = policy.windows(at, horizon)
    whole = evaluate(counted, windows, policy.per_test, horizon=horizon)
    if whole.fires or not grow:
        return whole
    for length in range(policy.recent_days - 1, 0, -1):
        recent = Days(windows.recent.last - timedelta(days=length - 1), windows.recent.last)
        shorter = evaluate(
            counted, Windows(windows.baseline, recent), policy.per_test, horizon=horizon
        )
        if shorter.fires:
            return shorter
    return whole


@dataclass(frozen=True)
class StageState:
    """What is known of earlier alerts of this rule at this stage."""

    open_alert_baseline_rate: float | None = None  # the baseline the open alert fired on
    open_alert_horizon: timedelta | None = None  # the horizon it fired on
    last_resolved_at: datetime | None = None
    muted_until: datetime | None = None


class Step(StrEnum):
    FIRE = "fire"
    RESOLVE = "resolve"
    HOLD = "hold"


@dataclass(frozen=True)
class Decision:
    step: Step
    reason: str
    evaluation: Evaluation
    recovery: Recovery | None = None


def decide(
    cohorts: Sequence[Cohort], state: StageState, policy: Policy, *, at: datetime
) -> Decision:
    """Evaluate the stage as of `at` and say what to do, with a reason fit to show a user.

    An open alert is checked for recovery like with like: within the horizon it fired on (no
    longer than the alert window now), over the whole recent window."""
    if state.open_alert_baseline_rate is not None:
        horizon = min(state.open_alert_horizon or policy.alert_window, policy.alert_window)
        evaluation = judge(cohorts, policy, at=at, horizon=horizon, grow=False)
        check = recovery(
            fired_on=state.open_alert_baseline_rate,
            comparison=evaluation.comparison,
            tolerance_points=policy.recovery_tolerance_points,
            min_sample=policy.thresholds.min_sample,
        )
        step = Step.RESOLVE if check.recovered else Step.HOLD
        return Decision(step, check.reason, evaluation, check)
    evaluation = judge(cohorts, policy, at=at)
    if state.muted_until is not None and at < state.muted_until:
        return Decision(
            Step.HOLD, f"Muted until {state.muted_until:%Y-%m-%d %H:%M %Z}.", evaluation
        )
    if state.last_resolved_at is not None and at < state.last_resolved_at + policy.cooldown:
        until = state.last_resolved_at + policy.cooldown
        return Decision(
            Step.HOLD,
            f"Cooling down after the last alert until {until:%Y-%m-%d %H:%M %Z}.",
            evaluation,
        )
    if evaluation.fires:
        return Decision(Step.FIRE, evaluation.comparison.reason, evaluation)
    return Decision(Step.HOLD, evaluation.comparison.reason, evaluation)


@dataclass(frozen=True)
class Replayed:
    at: datetime
    decision: Decision


def replay(
    cohorts: Sequence[Cohort],
    policy: Policy,
    times: Sequence[datetime],
    state: StageState = StageState(),
) -> list[Replayed]:
    """Evaluate at each of `times` in turn, as the worker would, carrying the alert's life
    along (fired, open, resolved itself, cooling down); the fires and resolutions."""
    ordered = sorted(cohorts, key=lambda cohort: cohort.day)
    days = [cohort.day for cohort in ordered]
    events = []
    for at in times:
        # Only the cohorts of this evaluation's windows: a year replayed day by day then costs
        # a year of windows, not a year of years.
        reading = policy.reading_days(at)
        judged = ordered[bisect_left(days, reading.first) : bisect_right(days, reading.last)]
        decision = decide(judged, state, policy, at=at)
        if decision.step is Step.FIRE:
            fired_on = decision.evaluation
            state = StageState(
                open_alert_baseline_rate=fired_on.comparison.baseline.rate,
                open_alert_horizon=fired_on.horizon,
            )
        elif decision.step is Step.RESOLVE:
            state = StageState(last_resolved_at=at)
        else:
            continue
        events.append(Replayed(at, decision))
    return events
