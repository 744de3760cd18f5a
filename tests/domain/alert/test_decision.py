from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.alert.decision import StageState, Step, decide
from domain.alert.statistics import Cohort, Days
from tests.support.alert_simulation import DEFAULT_POLICY

pytestmark = pytest.mark.pure

AT = datetime(2026, 3, 20, 6, tzinfo=UTC)
WINDOWS = DEFAULT_POLICY.windows(AT)


def series(recent_converted: int) -> list[Cohort]:
    """28 baseline days at 50 % and 3 recent days at `recent_converted` of 300 a day."""
    first = WINDOWS.baseline.first
    return [
        Cohort(first + timedelta(days=i), 300, 150 if i < 28 else recent_converted)
        for i in range(31)
    ]


DROPPED, STEADY = series(105), series(150)


def test_a_real_drop_fires_with_the_reason():
    decision = decide(DROPPED, StageState(), DEFAULT_POLICY, at=AT)
    assert decision.step is Step.FIRE and "Conversion fell" in decision.reason


def test_muting_holds_a_new_alert_back_until_the_time():
    muted = StageState(
        last_resolved_at=AT - timedelta(days=10), muted_until=AT + timedelta(hours=1)
    )
    assert decide(DROPPED, muted, DEFAULT_POLICY, at=AT).step is Step.HOLD
    assert "Muted until" in decide(DROPPED, muted, DEFAULT_POLICY, at=AT).reason
    later = AT + timedelta(hours=2)
    assert decide(DROPPED, muted, DEFAULT_POLICY, at=later).step is Step.FIRE


def test_the_cooldown_after_a_resolution_holds_a_new_alert_back():
    resolved = StageState(last_resolved_at=AT - timedelta(days=2))
    held = decide(DROPPED, resolved, DEFAULT_POLICY, at=AT)
    assert held.step is Step.HOLD and "Cooling down" in held.reason
    cooled = StageState(last_resolved_at=AT - timedelta(days=3))
    assert decide(DROPPED, cooled, DEFAULT_POLICY, at=AT).step is Step.FIRE


def test_an_open_alert_is_never_fired_again_and_resolves_when_recovered():
    open_alert = StageState(open_alert_baseline_rate=0.5)
    assert decide(DROPPED, open_alert, DEFAULT_POLICY, at=AT).step is Step.HOLD
    recovered = decide(STEADY, open_alert, DEFAULT_POLICY, at=AT)
    assert recovered.step is Step.RESOLVE and recovered.recovery is not None


def test_steady_conversion_holds_with_the_reason():
    decision = decide(STEADY, StageState(), DEFAULT_POLICY, at=AT)
    assert decision.step is Step.HOLD and "No alert" in decision.reason


def fast(cohort: Cohort) -> Cohort:
    """The same cohort, everyone who converts doing so within a day."""
    return replace(cohort, sooner={h: cohort for h in (24, 48, 72, 96, 120, 144)})


def test_a_stage_that_converts_within_a_day_is_judged_on_its_newest_day_alone():
    at = AT
    first = DEFAULT_POLICY.reading_days(at).first
    last = DEFAULT_POLICY.windows(at, timedelta(days=1)).recent.last
    days = (last - first).days + 1
    series = [
        fast(Cohort(first + timedelta(days=i), 300, 105 if i == days - 1 else 150))
        for i in range(days)
    ]
    decision = decide(series, StageState(), DEFAULT_POLICY, at=at)
    assert decision.step is Step.FIRE
    assert decision.evaluation.horizon == timedelta(days=1)
    assert decision.evaluation.windows.recent == Days(last, last)  # 2026-03-18, judged at 03-20
    assert last == date(2026, 3, 18)


def test_recovery_is_judged_within_the_horizon_the_alert_fired_on():
    # Within a day only 40 % convert now, against the 50 % the alert fired on within a day;
    # within the alert window the stage is back at 50 %.
    def series(first: date) -> list[Cohort]:
        result = []
        for i in range(31):
            day = first + timedelta(days=i)
            within_a_day = Cohort(day, 300, 150 if i < 28 else 120)
            result.append(Cohort(day, 300, 150, sooner={24: within_a_day}))
        return result

    one_day = DEFAULT_POLICY.windows(AT, timedelta(days=1)).baseline.first
    within_a_day = StageState(open_alert_baseline_rate=0.5, open_alert_horizon=timedelta(days=1))
    held = decide(series(one_day), within_a_day, DEFAULT_POLICY, at=AT)
    assert held.step is Step.HOLD and "Still below" in held.reason
    within_a_week = StageState(open_alert_baseline_rate=0.5, open_alert_horizon=timedelta(days=7))
    resolved = decide(series(WINDOWS.baseline.first), within_a_week, DEFAULT_POLICY, at=AT)
    assert resolved.step is Step.RESOLVE
