"""Synthetic stages: daily cohorts with binomial noise, evaluated day after day like the worker.

The lifecycle is `domain.alert.decision.replay`, the code backtests use: a fired alert stays
open until the stage recovers, then the cooldown runs.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.alert.decision import Policy, Step, replay
from domain.alert.statistics import Cohort, Thresholds

START = date(2026, 1, 1)
EVALUATE_AT_HOUR = 6  # the worker's daily evaluation, 06:00 UTC

DEFAULT_POLICY = Policy(
    thresholds=Thresholds(),
    recent_days=3,
    baseline_days=28,
    alert_window=timedelta(days=7),
    cooldown=timedelta(days=3),
)


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def cohorts(
    rng: random.Random, days: int, volume: tuple[int, int], rate: Callable[[int], float]
) -> list[Cohort]:
    """`days` daily cohorts from START; `rate(i)` is day i's true conversion."""
    result = []
    for i in range(days):
        entered = rng.randint(*volume)
        result.append(Cohort(START + timedelta(days=i), entered, binomial(rng, entered, rate(i))))
    return result


@dataclass(frozen=True)
class Event:
    day: int  # evaluation day index (days after START)
    step: Step


def run(all_cohorts: list[Cohort], first_day: int, last_day: int, policy=DEFAULT_POLICY):
    """Evaluate daily from `first_day` to `last_day`; the fires and auto-resolves, in order."""
    times = [evaluation_time(day) for day in range(first_day, last_day + 1)]
    return [
        Event((e.at.date() - START).days, e.decision.step)
        for e in replay(all_cohorts, policy, times)
    ]


def evaluation_time(day: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), time(EVALUATE_AT_HOUR), UTC)


def first_matured_evaluation(cohort_day: int, policy=DEFAULT_POLICY) -> int:
    """The first evaluation day whose windows include cohort day `cohort_day`."""
    return cohort_day + 1 + policy.alert_window.days
