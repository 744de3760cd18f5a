from datetime import date, timedelta

import pytest

from domain.alert.horizon import horizons, in_words, learn_horizon
from domain.alert.statistics import Cohort

pytestmark = pytest.mark.pure

WEEK = timedelta(days=7)


def cohort(converted: int, **within: int) -> Cohort:
    """300 entrants; `within` gives conversions within each horizon ("h24": within a day)."""
    day = date(2026, 3, 2)
    sooner = {int(k[1:]): Cohort(day, 300, count) for k, count in within.items()}
    return Cohort(day, 300, converted, sooner=sooner)


ALL_HORIZONS = dict(h24=0, h48=0, h72=0, h96=0, h120=0, h144=0)


def test_the_horizon_is_the_shortest_by_which_most_conversions_within_the_window_happen():
    fast = cohort(150, **{**ALL_HORIZONS, "h24": 125, "h48": 140, "h72": 145, "h96": 150})
    assert learn_horizon([fast], WEEK) == timedelta(days=1)  # 125 of 150 = 83 %
    slower = cohort(150, **{**ALL_HORIZONS, "h24": 100, "h48": 125, "h72": 140})
    assert learn_horizon([slower], WEEK) == timedelta(days=2)


def test_slow_conversion_is_judged_within_the_whole_alert_window():
    slow = cohort(150, **{**ALL_HORIZONS, "h144": 115})  # 77 % within six days
    assert learn_horizon([slow], WEEK) == WEEK


def test_too_few_conversions_to_learn_from_keep_the_alert_window():
    few = cohort(99, **{k: 99 for k in ALL_HORIZONS})
    assert learn_horizon([few], WEEK) == WEEK
    assert learn_horizon([few, few], WEEK) == timedelta(days=1)


def test_cohorts_counted_within_the_alert_window_alone_are_judged_within_it():
    assert learn_horizon([Cohort(date(2026, 3, 2), 300, 150)] * 3, WEEK) == WEEK


def test_the_horizon_never_goes_below_a_day_nor_beyond_the_alert_window():
    assert horizons(WEEK) == [24, 48, 72, 96, 120, 144, 168]
    assert horizons(timedelta(hours=60)) == [24, 48, 60]
    assert horizons(timedelta(hours=12)) == [12]


def test_the_horizon_in_words():
    assert [in_words(timedelta(hours=h)) for h in (24, 48, 36, 1, 168)] == [
        "1 day",
        "2 days",
        "36 hours",
        "1 hour",
        "7 days",
    ]
