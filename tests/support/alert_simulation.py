"""Synthetic stages: daily cohorts with binomial noise and a time to convert, evaluated day
after day like the worker.

Each day's entrants convert (within the journey's conversion window) with the day's true rate;
when they convert follows a time-to-convert distribution, so each cohort is counted within
every horizon of domain.alert.horizon.ELAPSED_HOURS and within the alert window, as the cohort
source counts it. The lifecycle is `domain.alert.decision.replay`, the code backtests use: a
fired alert stays open until the stage recovers, then the cooldown runs.

Cohorts are generated as they stand at the end of the run; an evaluation only reads a cohort's
count within a horizon once that horizon has passed for the whole cohort, when it no longer
changes, so this is what it would have read on the day.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from math import log, sqrt
from statistics import NormalDist

from domain.alert.decision import Policy, Step, replay
from domain.alert.horizon import ELAPSED_HOURS
from domain.alert.statistics import Cohort, Thresholds

START = date(2026, 1, 1)  # a Thursday
EVALUATE_AT_HOUR = 6  # the worker's daily evaluation, 06:00 UTC

DEFAULT_POLICY = Policy(
    thresholds=Thresholds(),
    recent_days=3,
    baseline_days=28,
    alert_window=timedelta(days=7),
    cooldown=timedelta(days=3),
)
# Days before the first evaluation whose baseline has matured.
WARM_UP = DEFAULT_POLICY.baseline_days + DEFAULT_POLICY.recent_days + 8

# Time to convert: the share of eventual converters who convert within `hours` of entry.
Timing = Callable[[float], float]


def within_a_day(hours: float) -> float:
    """Log-normal, median 4 hours: 93 % within a day, 98 % within two."""
    return NormalDist().cdf((log(hours) - log(4)) / 1.2)


def within_a_day_or_two(hours: float) -> float:
    """Log-normal, median 5 hours: 85 % within a day, 93 % within two, 99 % within a week."""
    return NormalDist().cdf((log(hours) - log(5)) / 1.5)


def over_a_week(hours: float) -> float:
    """Evenly over eight days: only 7/8 convert within the week of the alert window."""
    return min(hours / (8 * 24), 1.0)


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw: exact for few expected outcomes (counting the gaps between them,
    which are geometric), else the normal approximation, rounded, which at these counts is
    indistinguishable and costs one draw, not n."""
    if p > 0.5:
        return n - binomial(rng, n, 1 - p)
    if n * p >= 30:
        return min(n, max(0, round(rng.gauss(n * p, sqrt(n * p * (1 - p))))))
    if p <= 0:
        return 0
    count, trials, log_miss = 0, 0, log(1 - p)
    while True:
        trials += int(log(1 - rng.random()) / log_miss) + 1
        if trials > n:
            return count
        count += 1


def cohorts(
    rng: random.Random,
    days: int,
    volume: Callable[[int], int],
    rate: Callable[[int], float],
    timing: Timing = within_a_day_or_two,
    policy: Policy = DEFAULT_POLICY,
) -> list[Cohort]:
    """`days` daily cohorts from START; day i has about `volume(i)` entrants (±20 %) who
    eventually convert at `rate(i)` with the time to convert `timing`."""
    window = policy.alert_window.total_seconds() / 3600
    horizons = [h for h in ELAPSED_HOURS if h < window]
    result = []
    for i in range(days):
        mean = volume(i)
        entered = rng.randint(round(mean * 0.8), round(mean * 1.2))
        converted = binomial(rng, entered, rate(i) * timing(window))
        # Thinned from the longest horizon down: of those within a longer horizon, the share
        # within the next shorter one.
        counts, longer, count = {}, window, converted
        for hours in reversed(horizons):
            count = binomial(rng, count, timing(hours) / timing(longer))
            counts[hours], longer = count, hours
        day = START + timedelta(days=i)
        sooner = {h: Cohort(day, entered, c) for h, c in counts.items()}
        result.append(Cohort(day, entered, converted, sooner=sooner))
    return result


def judged_within_the_alert_window(series: list[Cohort]) -> list[Cohort]:
    """The same cohorts counted within the alert window only: judged as slow stages are."""
    return [replace(cohort, sooner={}) for cohort in series]


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


def weekday(day: int) -> int:
    return (START + timedelta(days=day)).weekday()


# Conversion patterns and traffic patterns of the false-alert scenarios.
def steady(_day: int) -> float:
    return 0.5


def weekends_worse(by: float) -> Callable[[int], float]:
    """50 % on weekdays, `by` (0.2: 20 %) less on Saturdays and Sundays."""
    return lambda day: 0.5 * (1 - by) if weekday(day) >= 5 else 0.5


def holiday_week(per_day: int, first: int) -> Callable[[int], int]:
    """`per_day` entrants, three times as many for the seven days from `first`."""
    return lambda day: per_day * 3 if first <= day < first + 7 else per_day


def doubling_swings(per_day: int) -> Callable[[int], int]:
    """`per_day` entrants for three weeks, then twice as many for three weeks, and so on."""
    return lambda day: per_day * 2 if (day // 21) % 2 else per_day


@dataclass(frozen=True)
class Detection:
    """When a fall starting with the cohort of `drop_day` was first alerted."""

    drop_day: int
    delay_days: int | None  # evaluation day minus the first affected cohort's day; None: never
    events: list[Event]

    @property
    def false_alerts(self) -> int:
        """Alerts fired before any cohort had fallen."""
        return sum(e.step is Step.FIRE and e.day <= self.drop_day for e in self.events)


def detect(
    seed: int,
    *,
    per_day: int,
    before: float,
    after: float,
    timing: Timing = within_a_day,
    within_alert_window_only: bool = False,
    recovers_after: int | None = None,
    watch_days: int = 30,
) -> Detection:
    """A stage falling from `before` to `after` on day WARM_UP + 35 (back to `before`
    `recovers_after` days later, if given), watched daily from WARM_UP until `watch_days`
    after the fall."""
    drop_day = WARM_UP + 35
    back_day = drop_day + recovers_after if recovers_after is not None else None

    def rate(day: int) -> float:
        dropped = day >= drop_day and (back_day is None or day < back_day)
        return after if dropped else before

    last = drop_day + watch_days
    series = cohorts(random.Random(seed), last + 1, lambda _day: per_day, rate, timing)
    if within_alert_window_only:
        series = judged_within_the_alert_window(series)
    events = run(series, WARM_UP, last)
    fires = [e.day - drop_day for e in events if e.step is Step.FIRE and e.day > drop_day]
    return Detection(drop_day, fires[0] if fires else None, events)


def false_alerts(
    seed: int,
    *,
    volume: Callable[[int], int],
    rate: Callable[[int], float] = steady,
    timing: Timing = within_a_day_or_two,
    days: int = 365,
) -> int:
    """Alerts fired over `days` of daily evaluations of a stage where nothing breaks."""
    rng = random.Random(seed)
    series = cohorts(rng, WARM_UP + days, volume, rate, timing)
    return sum(e.step is Step.FIRE for e in run(series, WARM_UP, WARM_UP + days - 1))
