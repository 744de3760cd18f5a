"""Before and after a moment: worked examples and properties of the comparison behind action
outcomes and proofs of recovery (docs/alerts.md, "Before and after a moment")."""

from datetime import UTC, date, datetime, timedelta
from math import erfc, sqrt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.alert.before_after import (
    ALPHA,
    Verdict,
    after_days,
    before_days,
    compare_before_after,
    two_sided_z_test,
)
from domain.alert.decision import Policy
from domain.alert.statistics import Cohort, Days, Proportion, Thresholds

pytestmark = pytest.mark.pure

POLICY = Policy(
    thresholds=Thresholds(),
    recent_days=3,
    baseline_days=28,
    alert_window=timedelta(days=1),
    cooldown=timedelta(days=3),
)
MOMENT = datetime(2026, 11, 20, 12, tzinfo=UTC)
THREE_DAYS_AFTER = datetime(2026, 11, 25, 6, tzinfo=UTC)


def days(first: date, count: int, entered: int, converted: int) -> list[Cohort]:
    return [Cohort(first + timedelta(days=i), entered, converted) for i in range(count)]


BEFORE = days(date(2026, 10, 23), 28, 40, 12)  # 1,120 customers, 30 %


def test_the_moments_own_day_is_left_out_and_after_starts_the_day_after():
    assert before_days(MOMENT, POLICY) == Days(date(2026, 10, 23), date(2026, 11, 19))
    assert after_days(MOMENT, POLICY, at=THREE_DAYS_AFTER) == Days(
        date(2026, 11, 21), date(2026, 11, 23)
    )
    # In New York the moment (07:00 local) is still 20 November, but 06:00 UTC on the 25th
    # is 01:00 on the 25th there: 23 November ended at 05:00 UTC on the 24th, matured at
    # 05:00 on the 25th.
    new_york = Policy(**{**POLICY.__dict__, "timezone": "America/New_York"})
    assert after_days(MOMENT, new_york, at=THREE_DAYS_AFTER).last == date(2026, 11, 23)


def test_right_after_the_moment_no_day_after_has_matured_and_none_is_judged():
    an_hour_after = MOMENT + timedelta(hours=1)  # 18 November is the last matured day
    assert len(after_days(MOMENT, POLICY, at=an_hour_after)) == 0
    result = compare_before_after(BEFORE, moment=MOMENT, policy=POLICY, at=an_hour_after)
    assert result.verdict is Verdict.NOT_YET


def test_a_real_improvement_is_better_with_its_figures():
    cohorts = [*BEFORE, *days(date(2026, 11, 20), 10, 40, 24)]  # 60 % from the moment's day
    result = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=THREE_DAYS_AFTER)
    assert result.verdict is Verdict.BETTER
    assert result.before == Proportion(1120, 336)
    assert result.after == Proportion(120, 72)  # three days, 21–23 November only
    assert result.after_days == Days(date(2026, 11, 21), date(2026, 11, 23))
    assert result.change_points == pytest.approx(30.0)
    assert result.p_value is not None and result.p_value < 1e-6
    assert result.sentence == (
        "Better: conversion went from 30.0 % (1,120 customers before) to 60.0 % (120 after), "
        "+30.0 points (p < 0.000001)."
    )


def test_the_same_conversion_after_is_no_change():
    cohorts = [*BEFORE, *days(date(2026, 11, 20), 10, 40, 12)]
    result = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=THREE_DAYS_AFTER)
    assert result.verdict is Verdict.NO_CHANGE
    assert result.p_value == pytest.approx(1.0)
    assert result.sentence.startswith("No change beyond chance: conversion went from 30.0 %")


def test_a_worked_example_near_the_line():
    """Baseline 8,400 at 50 %; 900 after at 46 % (−4 points): z ≈ −2.28, two-sided p ≈ 0.023,
    above 0.01: no change. At 45 % (−5 points): z ≈ −2.85, p ≈ 0.004: worse."""
    before = Proportion(8400, 4200)
    for converted, verdict, z, p in (
        (414, Verdict.NO_CHANGE, -2.28, 0.023),
        (405, Verdict.WORSE, -2.85, 0.004),
    ):
        after = days(date(2026, 11, 21), 3, 300, converted // 3)
        result = compare_before_after(
            after, moment=MOMENT, policy=POLICY, at=THREE_DAYS_AFTER, before=before
        )
        assert (result.verdict, round(result.z or 0, 2)) == (verdict, z)
        assert result.p_value == pytest.approx(p, abs=0.0005)


def test_not_yet_until_the_recent_window_has_matured_after():
    cohorts = [*BEFORE, *days(date(2026, 11, 20), 10, 40, 24)]
    at = datetime(2026, 11, 24, 6, tzinfo=UTC)  # 21 and 22 November have matured
    result = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at)
    assert result.verdict is Verdict.NOT_YET
    assert result.sentence == "Not yet: 2 of 3 days after have matured."


def test_a_small_stage_waits_for_enough_customers_after_then_judges_on_just_those_days():
    cohorts = [*days(date(2026, 10, 23), 28, 10, 3), *days(date(2026, 11, 21), 20, 10, 6)]
    at = THREE_DAYS_AFTER + timedelta(days=1)  # four days matured, 40 customers: not yet
    assert compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at).sentence == (
        "Not yet: 40 customers after so far, 50 needed."
    )
    later = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at + timedelta(days=10))
    assert later.after_days == Days(date(2026, 11, 21), date(2026, 11, 25))  # 50 customers
    assert later.verdict is Verdict.BETTER


def test_too_few_before_or_after_the_longest_wait_is_said_so():
    few_before = compare_before_after(
        days(date(2026, 10, 23), 28, 1, 0), moment=MOMENT, policy=POLICY, at=THREE_DAYS_AFTER
    )
    assert few_before.verdict is Verdict.TOO_FEW
    assert few_before.sentence == "Too few customers before to compare: 28, 50 needed."
    few_after = compare_before_after(
        [*BEFORE, *days(date(2026, 11, 21), 40, 1, 0)],
        moment=MOMENT,
        policy=POLICY,
        at=THREE_DAYS_AFTER + timedelta(days=40),
    )
    assert few_after.verdict is Verdict.TOO_FEW
    assert few_after.sentence == "Too few customers after to compare: 28 in 28 days."


def test_a_significant_change_smaller_than_half_the_minimum_change_is_no_change():
    before = Proportion(1_000_000, 500_000)
    after = days(date(2026, 11, 21), 3, 100_000, 51_000)  # +1 point, z ≈ 9.6
    result = compare_before_after(
        after, moment=MOMENT, policy=POLICY, at=THREE_DAYS_AFTER, before=before
    )
    assert result.verdict is Verdict.NO_CHANGE
    assert result.sentence.startswith("No change that matters:")


counts = st.integers(min_value=0, max_value=400)


@st.composite
def series(draw):
    """28 days before and up to 30 after, each with its own volume and conversion."""
    cohorts = []
    for first, count in ((date(2026, 10, 23), 28), (date(2026, 11, 20), 30)):
        for i in range(count):
            entered = draw(counts)
            converted = draw(st.integers(min_value=0, max_value=entered))
            cohorts.append(Cohort(first + timedelta(days=i), entered, converted))
    return cohorts


ats = st.integers(min_value=0, max_value=40).map(lambda d: THREE_DAYS_AFTER + timedelta(days=d))


@settings(max_examples=200, deadline=None)
@given(cohorts=series(), at=ats, later=st.integers(min_value=1, max_value=30))
def test_a_known_verdict_never_changes_as_more_days_mature(cohorts, at, later):
    """The after-window's length depends on how many customers entered, not how they
    converted: once known, waiting longer gives the same verdict on the same days."""
    first = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at)
    if first.verdict.known:
        again = compare_before_after(
            cohorts, moment=MOMENT, policy=POLICY, at=at + timedelta(days=later)
        )
        assert again == first


@settings(max_examples=200, deadline=None)
@given(cohorts=series(), at=ats)
def test_verdicts_agree_with_their_figures(cohorts, at):
    result = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at)
    tolerance = POLICY.recovery_tolerance_points
    if result.verdict in (Verdict.BETTER, Verdict.WORSE, Verdict.NO_CHANGE):
        assert result.after.entered >= POLICY.thresholds.min_sample
        assert result.before.entered >= POLICY.thresholds.min_sample
        assert result.after_days is not None and len(result.after_days) >= POLICY.recent_days
        assert result.after_days.first == date(2026, 11, 21)
        assert result.p_value is not None
    if result.verdict is Verdict.BETTER:
        assert result.change_points >= tolerance and result.p_value < ALPHA
    if result.verdict is Verdict.WORSE:
        assert result.change_points <= -tolerance and result.p_value < ALPHA
    if result.verdict is Verdict.NO_CHANGE:
        assert result.p_value >= ALPHA or abs(result.change_points) < tolerance


@settings(max_examples=200, deadline=None)
@given(cohorts=series(), at=ats)
def test_counting_non_conversions_instead_swaps_better_and_worse(cohorts, at):
    mirrored = [Cohort(c.day, c.entered, c.entered - c.converted) for c in cohorts]
    result = compare_before_after(cohorts, moment=MOMENT, policy=POLICY, at=at)
    other = compare_before_after(mirrored, moment=MOMENT, policy=POLICY, at=at)
    swapped = {Verdict.BETTER: Verdict.WORSE, Verdict.WORSE: Verdict.BETTER}
    assert other.verdict == swapped.get(result.verdict, result.verdict)
    assert other.change_points == pytest.approx(-result.change_points)


@given(
    before=st.tuples(st.integers(1, 10_000), st.floats(0, 1)),
    after=st.tuples(st.integers(1, 10_000), st.floats(0, 1)),
)
def test_the_two_sided_p_value_doubles_the_smaller_tail(before, after):
    b = Proportion(before[0], round(before[0] * before[1]))
    a = Proportion(after[0], round(after[0] * after[1]))
    assume(0 < b.converted < b.entered)  # else before's rate has no spread to test against
    z, p = two_sided_z_test(b, a)
    lower = 0.5 * erfc(-z / sqrt(2))  # P(Z <= z)
    assert 0 <= p <= 1
    assert p == pytest.approx(min(1.0, 2 * min(lower, 1 - lower)), abs=1e-9)
    assert z == pytest.approx(0, abs=1e-9) or (z < 0) == (a.rate < b.rate)
