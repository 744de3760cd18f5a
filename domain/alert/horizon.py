"""How long after entry conversion is judged: the horizon, learnt from the stage itself.

Waiting the whole alert window A (7 days by default) for a cohort to mature before judging it
costs a week on every fall. Conversion is time-to-event data: a cohort of yesterday has had
one day to convert, a cohort of last week seven. Comparing recent and baseline customers on the
*same elapsed time* h keeps the comparison fair (nobody who could still convert within h is
counted as lost) while judging a cohort once h, not A, has passed since its day ended.

h is learnt from the stage's own matured baseline: the shortest of ELAPSED_HOURS (then A) by
which at least COVERAGE of the conversions within A have happened. Where customers convert
within a day or two, h is a day or two and falls are seen days earlier; where conversion is
slow, h = A and nothing changes. h never goes below FLOOR: events that arrive late (a pipeline
that sends in hourly or nightly batches) would otherwise look like customers lost.

COVERAGE is measured (bench/alert_simulation.py): on a stage where 85 % convert within a day and
93 % within two, 90 % picks two days and a fall from 50 % to 35 % at 300 a day is alerted 3–4
days after the first affected cohort; 80 % picks one day and alerts it in 3. A shorter horizon
sees a fall a little smaller (it counts fewer conversions) but days sooner; noise fires
nothing either way.
"""

from collections.abc import Iterable
from datetime import timedelta

from domain.alert.statistics import Cohort

# The horizons a cohort is counted within besides the alert window itself, in hours; the
# cohort source counts each (domain.metrics.cohorts).
ELAPSED_HOURS = (24, 48, 72, 96, 120, 144)
COVERAGE = 0.8
FLOOR = timedelta(hours=24)
# Conversions within A the baseline needs before its timing is trusted; fewer: h = A.
LEARNED_FROM = 100


def horizons(alert_window: timedelta) -> list[int]:
    """The horizons in hours an evaluation may judge on, shortest first: those of
    ELAPSED_HOURS shorter than A and at least the floor, then A."""
    window = int(alert_window.total_seconds() // 3600)
    floor = min(FLOOR, alert_window).total_seconds() // 3600
    return [h for h in ELAPSED_HOURS if floor <= h < window] + [window]


def learn_horizon(matured: Iterable[Cohort], alert_window: timedelta) -> timedelta:
    """The horizon to judge on, from cohorts that have all had A to convert.

    Only horizons every cohort was counted within are candidates: cohorts counted within A
    alone are judged within A."""
    cohorts = list(matured)
    within_window = sum(c.converted for c in cohorts)
    *shorter, window = horizons(alert_window)
    if within_window < LEARNED_FROM:
        return timedelta(hours=window)
    for hours in shorter:
        if not all(hours in c.sooner for c in cohorts):
            continue
        if sum(c.within(hours).converted for c in cohorts) >= COVERAGE * within_window:
            return timedelta(hours=hours)
    return timedelta(hours=window)


def in_words(horizon: timedelta) -> str:
    """'1 day', '2 days', '36 hours': the horizon as a person says it."""
    hours = int(horizon.total_seconds() // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} hour" if hours == 1 else f"{hours} hours"
