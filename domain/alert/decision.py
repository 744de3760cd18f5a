"""What one evaluation of a rule means for one stage: fire, resolve itself, or hold.

Pure, so that the worker, `alerts evaluate --at`, backtests and the simulation tests all make
exactly the same decision from the same figures.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.alert.statistics import (
    Cohort,
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

    def windows(self, as_of: datetime) -> Windows:
        return matured_windows(
            as_of,
            alert_window=self.alert_window,
            recent_days=self.recent_days,
            baseline_days=self.baseline_days,
            timezone=self.timezone,
        )


@dataclass(frozen=True)
class StageState:
    """What is known of earlier alerts of this rule at this stage."""

    open_alert_baseline_rate: float | None = None  # the baseline the open alert fired on
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
    """Evaluate the stage as of `at` and say what to do, with a reason fit to show a user."""
    evaluation = evaluate(cohorts, policy.windows(at), policy.thresholds)
    if state.open_alert_baseline_rate is not None:
        check = recovery(
            baseline_rate=state.open_alert_baseline_rate,
            recent=evaluation.comparison.recent,
            tolerance_points=policy.recovery_tolerance_points,
            min_sample=policy.thresholds.min_sample,
        )
        step = Step.RESOLVE if check.recovered else Step.HOLD
        return Decision(step, check.reason, evaluation, check)
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
        windows = policy.windows(at)
        judged = ordered[
            bisect_left(days, windows.baseline.first) : bisect_right(days, windows.recent.last)
        ]
        decision = decide(judged, state, policy, at=at)
        if decision.step is Step.FIRE:
            baseline = decision.evaluation.comparison.baseline.rate
            state = StageState(open_alert_baseline_rate=baseline)
        elif decision.step is Step.RESOLVE:
            state = StageState(last_resolved_at=at)
        else:
            continue
        events.append(Replayed(at, decision))
    return events
