"""Synthetic stages evaluated day after day with the default rule
(tests/support/alert_simulation.py); the full table, with more seeds, is printed by
`uv run python -m bench.alert_simulation` and quoted in the README.

Delays count days from the first affected cohort's day to the 06:00 evaluation that fires:
a delay of 3 means the fall that began on Monday is alerted on Thursday morning.
"""

import pytest

from domain.alert.decision import Step
from tests.support.alert_simulation import (
    DEFAULT_POLICY,
    WARM_UP,
    detect,
    doubling_swings,
    false_alerts,
    holiday_week,
    over_a_week,
    steady,
    weekends_worse,
    within_a_day,
    within_a_day_or_two,
)

pytestmark = pytest.mark.pure

SEEDS = range(3)
ONE_ALERT_WINDOW = 1 + DEFAULT_POLICY.alert_window.days  # the first affected cohort's last


@pytest.mark.parametrize("per_day", [25, 300, 3000])
@pytest.mark.parametrize(
    ("volume", "rate"),
    [
        (lambda n: lambda _day: n, weekends_worse(0.2)),
        (lambda n: lambda _day: n, weekends_worse(0.4)),
        (lambda n: holiday_week(n, WARM_UP + 150), steady),
        (doubling_swings, steady),
    ],
    ids=["weekends 20 % worse", "weekends 40 % worse", "holiday week", "traffic doubling"],
)
def test_a_year_of_daily_evaluations_fires_nothing_when_nothing_breaks(per_day, volume, rate):
    assert false_alerts(per_day, volume=volume(per_day), rate=rate) == 0


@pytest.mark.parametrize(
    ("per_day", "before", "after", "timing", "within"),
    [
        (300, 0.5, 0.35, within_a_day, 3),
        (300, 0.5, 0.35, within_a_day_or_two, 4),
        (1500, 0.6, 0.48, within_a_day, 3),
        (1500, 0.6, 0.48, within_a_day_or_two, 3),
        (1500, 0.6, 0.48, over_a_week, ONE_ALERT_WINDOW),
        (300, 0.5, 0.35, over_a_week, ONE_ALERT_WINDOW + 2),
    ],
)
def test_a_lasting_fall_is_alerted_within_days_and_stays_open(
    per_day, before, after, timing, within
):
    for seed in SEEDS:
        caught = detect(seed, per_day=per_day, before=before, after=after, timing=timing)
        assert caught.delay_days is not None, f"seed {seed}: never caught"
        assert 0 < caught.delay_days <= within, f"seed {seed}: after {caught.delay_days} days"
        # The fall lasts: the alert stays open (it never "recovers" by itself).
        assert [e.step for e in caught.events] == [Step.FIRE]


def test_learning_the_horizon_is_what_makes_it_early():
    late = detect(
        0, per_day=300, before=0.5, after=0.35, timing=within_a_day, within_alert_window_only=True
    )
    assert late.delay_days is not None and late.delay_days >= ONE_ALERT_WINDOW


def test_a_recovery_resolves_the_alert_and_the_cooldown_holds_a_second_one_back():
    for seed in SEEDS:
        caught = detect(seed, per_day=300, before=0.5, after=0.35, recovers_after=15)
        assert [e.step for e in caught.events] == [Step.FIRE, Step.RESOLVE]
        fired, resolved = (e.day - caught.drop_day for e in caught.events)
        # Resolved once a whole recent window of recovered cohorts is judged within a day of
        # entry (the horizon it fired on), not before.
        assert 15 + 1 + DEFAULT_POLICY.recent_days <= resolved <= 15 + 8, (fired, resolved)
