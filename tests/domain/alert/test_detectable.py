"""The smallest fall a rule can detect, checked against the decision it predicts (`compare`)."""

from math import ceil, floor

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.alert.detectable import SMALL_STAGE_POINTS, detectable_fall
from domain.alert.statistics import Proportion, Thresholds, compare

pytestmark = pytest.mark.pure

TOLERANCE_POINTS = 1e-6

thresholds = st.builds(
    Thresholds,
    min_change_points=st.floats(0.5, 30),
    alpha=st.floats(1e-9, 0.05),
    min_sample=st.integers(20, 500),
)


@st.composite
def stages(draw):
    rule = draw(thresholds)
    baseline_entered = draw(st.integers(rule.min_sample, 200_000))
    recent_entered = draw(st.integers(rule.min_sample, 50_000))
    converted = draw(st.integers(0, baseline_entered))
    return rule, Proportion(baseline_entered, converted), recent_entered


def _mde(rule, baseline, recent_entered):
    return detectable_fall(
        baseline_entered=baseline.entered,
        recent_entered=recent_entered,
        baseline_rate=baseline.rate,
        thresholds=rule,
    )


@given(stages())
def test_a_fall_of_the_detectable_size_fires_and_a_smaller_one_does_not(stage):
    rule, baseline, recent_entered = stage
    fall = _mde(rule, baseline, recent_entered)
    assume(fall.points is not None)
    assert fall.points is not None and fall.points >= rule.min_change_points - TOLERANCE_POINTS
    at_least = floor(recent_entered * (baseline.rate - (fall.points + TOLERANCE_POINTS) / 100))
    if at_least >= 0:
        assert compare(baseline, Proportion(recent_entered, at_least), rule).fires
    short_of = ceil(recent_entered * (baseline.rate - (fall.points - TOLERANCE_POINTS) / 100))
    if short_of <= recent_entered:
        assert not compare(baseline, Proportion(recent_entered, short_of), rule).fires


@given(stages(), st.integers(2, 50))
def test_the_detectable_fall_shrinks_as_volume_grows(stage, times):
    rule, baseline, recent_entered = stage
    small = _mde(rule, baseline, recent_entered)
    large = _mde(
        rule,
        Proportion(baseline.entered * times, baseline.converted * times),
        recent_entered * times,
    )
    if small.points is not None:
        assert large.points is not None and large.points <= small.points
        if small.points > rule.min_change_points + TOLERANCE_POINTS:
            assert large.points < small.points


def test_a_stage_too_small_to_judge_says_why():
    fall = detectable_fall(
        baseline_entered=280, recent_entered=30, baseline_rate=0.5, thresholds=Thresholds()
    )
    assert fall.points is None and not fall.shows(SMALL_STAGE_POINTS)
    assert fall.reason == "Cannot judge yet: 30 matured customers in the recent window, 50 needed."


def test_a_stage_whose_conversion_cannot_fall_far_enough_says_so():
    fall = detectable_fall(
        baseline_entered=840, recent_entered=90, baseline_rate=0.05, thresholds=Thresholds()
    )
    assert fall.points is None and "too few conversions" in fall.reason
