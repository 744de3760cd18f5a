"""Synthetic stages evaluated day after day with the default rule
(tests/support/alert_simulation.py).

Figures these seeds give (quoted in the README): steady conversion at 200–400 customers a day
and at 20–40 a day fires nothing over 20 stage-years of daily evaluations each (7,300); a
fall from 50 % to 35 % is caught 0–2 evaluations after the first dropped cohort matures, that
is by the evaluation at which the whole recent window holds dropped cohorts.
"""

import random
from datetime import timedelta

import pytest

from domain.alert.decision import Step
from tests.support.alert_simulation import DEFAULT_POLICY, cohorts, first_matured_evaluation, run

pytestmark = pytest.mark.pure

YEAR = 365
WARM_UP = DEFAULT_POLICY.baseline_days + DEFAULT_POLICY.recent_days + 8  # baseline matured
STAGES = 20


def false_alarms(volume: tuple[int, int], seed: int) -> int:
    fired = 0
    for stage in range(STAGES):
        rng = random.Random(seed * 1000 + stage)
        series = cohorts(rng, WARM_UP + YEAR, volume, lambda _day: 0.5)
        fired += sum(e.step is Step.FIRE for e in run(series, WARM_UP, WARM_UP + YEAR - 1))
    return fired


def test_steady_conversion_at_normal_volume_almost_never_fires():
    assert false_alarms((200, 400), seed=1) == 0  # over 7,300 daily evaluations


def test_a_small_stage_fires_nothing_on_noise():
    assert false_alarms((20, 40), seed=2) == 0


def test_a_real_drop_is_caught_once_its_cohorts_mature():
    drop_day = 70
    delays = []
    for seed in range(STAGES):
        rng = random.Random(5000 + seed)
        series = cohorts(rng, 130, (200, 400), lambda day: 0.5 if day < drop_day else 0.35)
        events = run(series, WARM_UP, 129)
        fires = [e.day for e in events if e.step is Step.FIRE]
        assert fires, f"seed {seed}: the drop was never caught"
        delays.append(fires[0] - first_matured_evaluation(drop_day))
        # The drop lasts: the alert stays open (it never "recovers" by itself).
        assert [e.step for e in events] == [Step.FIRE]
    assert min(delays) >= 0  # never before the drop could be seen
    assert max(delays) <= DEFAULT_POLICY.recent_days - 1  # by the time recent is all dropped


def test_a_recovery_resolves_the_alert_and_the_cooldown_holds_a_second_one_back():
    drop_day, back_day = 70, 85
    for seed in range(5):
        rng = random.Random(7000 + seed)
        series = cohorts(
            rng, 160, (200, 400), lambda day: 0.35 if drop_day <= day < back_day else 0.5
        )
        events = run(series, WARM_UP, 159)
        assert [e.step for e in events] == [Step.FIRE, Step.RESOLVE]
        resolved = events[1].day
        # Resolved once the recent window holds recovered cohorts only, not before.
        assert resolved >= first_matured_evaluation(back_day)
        assert resolved <= first_matured_evaluation(back_day) + DEFAULT_POLICY.recent_days


def test_the_recent_window_after_a_resolution_is_fresh_within_the_cooldown():
    assert DEFAULT_POLICY.cooldown >= timedelta(days=DEFAULT_POLICY.recent_days)
