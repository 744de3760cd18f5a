"""The worked examples of docs/alerts.md, on the pure decision, so that the page and the code
cannot drift apart unnoticed."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.alert.decision import StageState, Step, decide
from domain.alert.detectable import SMALL_STAGE_POINTS, detectable_fall
from domain.alert.horizon import learn_horizon
from domain.alert.statistics import (
    Cohort,
    Days,
    Proportion,
    Segment,
    Stratum,
    compare,
    main_driver,
    matured_windows,
    recovery,
)
from domain.alert_rule.models import AlertRule
from domain.alert_rule.service import alert_window_hours, cooldown_hours
from tests.support.alert_simulation import DEFAULT_POLICY

pytestmark = pytest.mark.pure

BASELINE = Proportion(1000, 500)


def test_the_alert_window_and_cooldown_follow_the_journey_and_the_recent_window():
    unset = AlertRule(alert_window_hours=None, recent_days=3, cooldown_hours=None)
    assert alert_window_hours(unset, conversion_window_days=30) == 7 * 24
    assert alert_window_hours(unset, conversion_window_days=10) == 120
    outgrown = AlertRule(alert_window_hours=240)  # the conversion window shrank to 10 days
    assert alert_window_hours(outgrown, conversion_window_days=10) == 120
    assert cooldown_hours(unset) == 72


@pytest.mark.parametrize(
    ("at", "timezone", "recent", "baseline"),
    [
        (
            datetime(2026, 3, 20, 6, tzinfo=UTC),
            "UTC",
            Days(date(2026, 3, 10), date(2026, 3, 12)),
            Days(date(2026, 2, 10), date(2026, 3, 9)),
        ),
        (
            datetime(2026, 3, 20, 3, tzinfo=UTC),
            "America/New_York",
            Days(date(2026, 3, 9), date(2026, 3, 11)),
            Days(date(2026, 2, 9), date(2026, 3, 8)),
        ),
    ],
)
def test_only_matured_days_are_judged(at, timezone, recent, baseline):
    windows = matured_windows(
        at, alert_window=timedelta(days=7), recent_days=3, baseline_days=28, timezone=timezone
    )
    assert (windows.recent, windows.baseline) == (recent, baseline)


PER_TEST = DEFAULT_POLICY.per_test  # alpha 0.00001 shared by the 3 recent window lengths


def test_each_recent_window_length_is_tested_at_its_share_of_alpha():
    assert PER_TEST.alpha == pytest.approx(0.00001 / 3)


def _cohort(converted_by_day: list[int]) -> Cohort:
    """Entrants of one day and their conversions within 1, 2, … 7 days."""
    day = date(2026, 3, 2)
    sooner = {24 * (i + 1): Cohort(day, 1000, c) for i, c in enumerate(converted_by_day[:-1])}
    return Cohort(day, 1000, converted_by_day[-1], sooner=sooner)


@pytest.mark.parametrize(
    ("converted_by_day", "horizon"),
    [
        ([425, 470, 490, 495, 498, 499, 500], timedelta(days=1)),  # 85 % within a day
        ([62, 125, 188, 250, 312, 375, 437], timedelta(days=6)),  # evenly over eight days
    ],
)
def test_the_horizon_is_learnt_from_the_stage(converted_by_day, horizon):
    assert learn_horizon([_cohort(converted_by_day)], timedelta(days=7)) == horizon


def test_with_a_one_day_horizon_the_newest_matured_day_is_the_day_before_yesterday():
    windows = matured_windows(
        datetime(2026, 3, 20, 6, tzinfo=UTC),
        alert_window=timedelta(days=1),
        recent_days=3,
        baseline_days=28,
    )
    assert windows.recent == Days(date(2026, 3, 16), date(2026, 3, 18))


def test_recent_weekdays_are_compared_with_the_same_weekdays():
    weekday, weekend = Proportion(2000, 1000), Proportion(800, 240)
    baseline = Proportion(5 * 2000 + 2 * 800, 5 * 1000 + 2 * 240)
    assert round(baseline.rate * 100, 1) == 47.2
    strata = [Stratum(weekend, Proportion(300, 90))] * 2 + [Stratum(weekday, Proportion(300, 150))]
    same = compare(baseline, Proportion(900, 330), PER_TEST, strata)
    assert same.expected_rate == pytest.approx(330 / 900) and same.change_points == 0.0


def test_a_fall_that_matters_and_is_unlikely_to_be_chance_fires():
    fell = compare(BASELINE, Proportion(300, 105), PER_TEST)
    assert fell.fires
    assert fell.change_points == pytest.approx(-15.0)
    assert fell.z == pytest.approx(-4.56, abs=0.005)
    assert fell.p_value == pytest.approx(2.6e-6, rel=0.02)


def test_a_fall_that_could_be_chance_or_too_few_customers_hold():
    chance = compare(BASELINE, Proportion(100, 40), PER_TEST)
    assert not chance.fires
    assert (round(chance.z, 2), round(chance.p_value, 3)) == (-1.91, 0.028)
    assert "could be chance (p = 0.028; an alert needs p < 3.3e-06)" in chance.reason
    few = compare(BASELINE, Proportion(40, 5), PER_TEST)
    assert (
        few.reason == "Not enough customers to judge: 40 matured in the recent window, 50 needed."
    )


def test_the_driver_is_the_segment_that_accounts_for_the_fall():
    web, email = Segment("channel", "web"), Segment("channel", "email")
    driver = main_driver(
        BASELINE,
        Proportion(300, 110),
        {web: Proportion(600, 300), email: Proportion(400, 200)},
        {web: Proportion(200, 60), email: Proportion(100, 50)},
    )
    assert driver is not None
    assert (driver.segment, round(driver.points, 1), round(driver.share, 6)) == (web, -13.3, 1)


def test_an_alert_resolves_itself_within_half_the_change_that_fires():
    assert DEFAULT_POLICY.recovery_tolerance_points == 2.5
    back, still = (
        recovery(
            fired_on=0.5,
            comparison=compare(BASELINE, Proportion(200, converted), PER_TEST),
            tolerance_points=2.5,
            min_sample=50,
        )
        for converted in (96, 94)
    )
    assert (back.recovered, still.recovered) == (True, False)


def test_a_mute_does_not_keep_an_open_alert_from_resolving_itself():
    at = datetime(2026, 3, 20, 6, tzinfo=UTC)
    windows = DEFAULT_POLICY.windows(at)
    steady = [
        Cohort(windows.baseline.first + timedelta(days=i), 300, 150)
        for i in range(len(windows.baseline) + len(windows.recent))
    ]
    muted_open = StageState(open_alert_baseline_rate=0.5, muted_until=at + timedelta(days=1))
    assert decide(steady, muted_open, DEFAULT_POLICY, at=at).step is Step.RESOLVE


@pytest.mark.parametrize(("per_day", "points"), [(300, 7.9), (30, 25.0), (1500, 5.0), (10, None)])
def test_what_a_stage_can_show_at_its_volume(per_day, points):
    fall = detectable_fall(
        baseline_entered=28 * per_day,
        recent_entered=3 * per_day,
        baseline_rate=0.5,
        thresholds=PER_TEST,
    )
    assert (None if fall.points is None else round(fall.points, 1)) == points
    assert fall.shows(SMALL_STAGE_POINTS) is (per_day in (300, 1500))


def test_a_fall_just_beyond_what_a_stage_can_show_fires_and_one_just_short_does_not():
    fired = compare(Proportion(8400, 4200), Proportion(900, 378), PER_TEST)
    held = compare(Proportion(8400, 4200), Proportion(900, 379), PER_TEST)
    assert fired.fires and fired.z == pytest.approx(-4.56, abs=0.005)
    assert fired.p_value == pytest.approx(2.5e-6, abs=0.05e-6)
    assert not held.fires and held.p_value == pytest.approx(3.4e-6, abs=0.05e-6)
