from datetime import UTC, datetime, timedelta

import pytest

from domain.alert.decision import StageState, Step, decide
from domain.alert.statistics import Cohort
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
