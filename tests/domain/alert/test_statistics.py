from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alert.statistics import (
    Cohort,
    Proportion,
    Segment,
    Stratum,
    Thresholds,
    compare,
    contributions,
    evaluate,
    main_driver,
    matured_windows,
    recovery,
    standardised,
)

pytestmark = pytest.mark.pure

DEFAULTS = Thresholds()


def test_a_large_and_significant_fall_fires_with_its_figures():
    result = compare(Proportion(8400, 4200), Proportion(900, 315), DEFAULTS)
    assert result.fires
    assert result.change_points == pytest.approx(-15.0)
    assert result.z is not None and result.z < -8
    assert result.p_value is not None and result.p_value < 1e-6
    assert "fell" in result.reason and "50.0 %" in result.reason and "35.0 %" in result.reason


def test_a_fall_smaller_than_the_minimum_change_does_not_fire_however_certain():
    result = compare(Proportion(1_000_000, 500_000), Proportion(100_000, 48_000), DEFAULTS)
    assert result.p_value is not None and result.p_value < 1e-9
    assert not result.fires
    assert "at least 5.0 points" in result.reason


def test_a_fall_of_exactly_the_minimum_change_fires():
    result = compare(Proportion(100_000, 50_000), Proportion(6000, 2700), DEFAULTS)
    assert result.change_points == -5.0
    assert result.fires


def test_a_large_fall_on_few_customers_could_be_chance():
    result = compare(Proportion(400, 200), Proportion(60, 21), DEFAULTS)
    assert result.change_points < -10
    assert not result.fires
    assert "could be chance" in result.reason


def test_too_few_customers_on_either_side_is_not_judged():
    recent_short = compare(Proportion(5000, 2500), Proportion(49, 0), DEFAULTS)
    baseline_short = compare(Proportion(30, 15), Proportion(900, 0), DEFAULTS)
    assert not recent_short.fires and "49 matured in the recent window, 50 needed" in (
        recent_short.reason
    )
    assert not baseline_short.fires and "baseline" in baseline_short.reason
    assert recent_short.p_value is None


def test_a_rare_conversion_is_not_tested_with_a_normal_approximation():
    result = compare(Proportion(400, 4), Proportion(100, 0), Thresholds(min_change_points=0.5))
    assert not result.fires and "Too few conversions" in result.reason


def test_an_improvement_never_fires():
    result = compare(Proportion(5000, 2000), Proportion(900, 600), DEFAULTS)
    assert not result.fires and result.change_points > 0


def test_the_z_test_matches_a_hand_computation():
    # Expected 1000 * 0.5 = 500 conversions; variance 1000 * .25 + 1000² * .25 / 1000 = 500;
    # z = (400 - 500) / sqrt(500)
    result = compare(Proportion(1000, 500), Proportion(1000, 400), DEFAULTS)
    assert result.z == pytest.approx(-4.4721, abs=1e-3)
    assert result.p_value == pytest.approx(3.87e-6, rel=0.01)


def test_recent_weekdays_are_compared_with_the_same_weekdays_of_the_baseline():
    # Weekdays convert 50 %, weekends 30 %; the recent window is a Saturday, Sunday and Monday
    # converting as always: 36.7 % overall against a baseline of 47.2 %, but no fall at all.
    weekday, weekend = Proportion(2000, 1000), Proportion(800, 240)
    baseline = Proportion(5 * 2000 + 2 * 800, 5 * 1000 + 2 * 240)
    strata = [Stratum(weekday, Proportion(300, 150))] + [
        Stratum(weekend, Proportion(300, 90)) for _ in range(2)
    ]
    recent = Proportion(900, 330)
    result = compare(baseline, recent, DEFAULTS, strata)
    assert result.expected_rate == pytest.approx(330 / 900)
    assert result.change_points == pytest.approx(0.0) and not result.fires
    assert "36.7 % expected on these weekdays" in result.reason
    plain = compare(baseline, recent, DEFAULTS)
    assert plain.change_points < -5  # mixing every weekday, the weekend looks like a fall


@st.composite
def steady_weekday(draw) -> Stratum:
    """A weekday whose baseline is its own (enough customers and outcomes) and whose recent
    customers convert at exactly the baseline's rate."""
    size = draw(st.integers(2, 20))
    converted = draw(st.integers(1, size - 1))
    least = max(-(-20 // size), -(-5 // min(converted, size - converted)))
    baseline_units, recent_units = draw(st.integers(least, 400)), draw(st.integers(0, 100))
    return Stratum(
        Proportion(size * baseline_units, converted * baseline_units),
        Proportion(size * recent_units, converted * recent_units),
    )


@given(st.lists(steady_weekday(), min_size=1, max_size=7))
def test_recent_days_converting_as_their_weekdays_always_did_never_fire(strata):
    rule = Thresholds(min_change_points=0.5, alpha=0.05, min_sample=20)
    baseline = sum((s.baseline for s in strata), Proportion())
    recent = sum((s.recent for s in strata), Proportion())
    result = compare(baseline, recent, rule, strata)
    assert not result.fires
    if result.z is not None:
        assert abs(result.change_points) < 1e-6


def test_the_variance_counts_the_recent_noise_and_each_weekdays_baseline_noise():
    weekday, weekend = Proportion(1000, 500), Proportion(400, 80)
    strata = [Stratum(weekday, Proportion(300, 0)), Stratum(weekend, Proportion(100, 0))]
    expected, variance = standardised(Proportion(1400, 580), strata, min_sample=50)
    assert expected == pytest.approx(300 * 0.5 + 100 * 0.2)
    assert variance == pytest.approx(
        300 * 0.25 + 300**2 * 0.25 / 1000 + 100 * 0.16 + 100**2 * 0.16 / 400
    )


def test_a_weekday_with_too_few_baseline_customers_falls_back_to_the_whole_baseline():
    thin = Proportion(20, 2)  # fewer than min_sample customers: its 10 % is not trusted
    baseline = Proportion(1020, 502)
    strata = [Stratum(Proportion(1000, 500), Proportion(100, 0)), Stratum(thin, Proportion(50, 0))]
    expected, variance = standardised(baseline, strata, min_sample=50)
    overall = 502 / 1020
    assert expected == pytest.approx(100 * 0.5 + 50 * overall)
    assert variance == pytest.approx(
        100 * 0.25
        + 100**2 * 0.25 / 1000
        + 50 * overall * (1 - overall)
        + 50**2 * overall * (1 - overall) / 1020
    )


def test_only_matured_cohorts_are_in_the_windows():
    # 7-day alert window, evaluated 2026-03-20 06:00 UTC: cohorts of 03-12 and before matured
    # (03-12 ended 03-13 00:00, plus 7 days = 03-20 00:00); 03-13 matures only at 03-21 00:00.
    at = datetime(2026, 3, 20, 6, tzinfo=UTC)
    windows = matured_windows(at, alert_window=timedelta(days=7), recent_days=3, baseline_days=28)
    assert (windows.recent.first, windows.recent.last) == (date(2026, 3, 10), date(2026, 3, 12))
    assert (windows.baseline.first, windows.baseline.last) == (date(2026, 2, 10), date(2026, 3, 9))
    assert len(windows.baseline) == 28


def test_days_are_cut_in_the_journeys_time_zone():
    # 2026-03-20 03:00 UTC is 03-19 20:00 in Los Angeles: one day fewer has matured there.
    at = datetime(2026, 3, 20, 3, tzinfo=UTC)
    utc = matured_windows(at, alert_window=timedelta(days=1), recent_days=1, baseline_days=7)
    la = matured_windows(
        at,
        alert_window=timedelta(days=1),
        recent_days=1,
        baseline_days=7,
        timezone="America/Los_Angeles",
    )
    assert utc.recent.last == date(2026, 3, 18)
    assert la.recent.last == date(2026, 3, 17)


def test_evaluate_ignores_immature_cohorts():
    at = datetime(2026, 3, 20, 6, tzinfo=UTC)
    windows = matured_windows(at, alert_window=timedelta(days=7), recent_days=3, baseline_days=28)
    steady = [Cohort(date(2026, 2, 10) + timedelta(days=i), 300, 150) for i in range(31)]
    # Cohorts inside their alert window have converted little so far: they must not count.
    immature = [Cohort(date(2026, 3, 13) + timedelta(days=i), 300, 20) for i in range(7)]
    result = evaluate(steady + immature, windows, DEFAULTS, horizon=timedelta(days=7))
    assert result.comparison.recent == Proportion(900, 450)
    assert not result.fires


WEB, AD = Segment("channel", "web"), Segment("channel", "ad")
BUDGET, BUSY = Segment("persona", "budget"), Segment("persona", "busy")


def test_contributions_add_up_to_the_overall_change():
    baseline = {WEB: Proportion(700, 420), AD: Proportion(300, 90)}
    recent = {WEB: Proportion(500, 290), AD: Proportion(500, 100)}
    total_before, total_now = Proportion(1000, 510), Proportion(1000, 390)
    parts = contributions(total_before, total_now, baseline, recent)
    assert sum(p.points for p in parts) == pytest.approx((0.39 - 0.51) * 100)
    assert sum(p.share for p in parts) == pytest.approx(1.0)


def test_the_driver_is_the_segment_that_explains_most_of_the_fall():
    # Web converts as before; ads fell from 50 % to 10 %.
    baseline = {WEB: Proportion(600, 300), AD: Proportion(400, 200)}
    recent = {WEB: Proportion(600, 300), AD: Proportion(400, 40)}
    driver = main_driver(Proportion(1000, 500), Proportion(1000, 340), baseline, recent)
    assert driver is not None and driver.segment == AD
    assert driver.points == pytest.approx(-16.0)
    assert driver.share == pytest.approx(1.0)


def test_a_shift_in_mix_towards_a_weak_segment_is_named_too():
    # Each channel converts as before, but far more customers now come from weak ad traffic.
    baseline = {WEB: Proportion(800, 480), AD: Proportion(200, 20)}
    recent = {WEB: Proportion(400, 240), AD: Proportion(600, 60)}
    driver = main_driver(Proportion(1000, 500), Proportion(1000, 300), baseline, recent)
    assert driver is not None and driver.segment == AD


def test_the_driver_is_chosen_across_personas_and_channels():
    baseline = {
        WEB: Proportion(500, 250),
        AD: Proportion(500, 250),
        BUDGET: Proportion(500, 250),
        BUSY: Proportion(500, 250),
    }
    recent = {
        WEB: Proportion(500, 200),
        AD: Proportion(500, 150),
        BUDGET: Proportion(500, 100),
        BUSY: Proportion(500, 250),
    }
    driver = main_driver(Proportion(1000, 500), Proportion(1000, 350), baseline, recent)
    assert driver is not None and driver.segment == BUDGET


def test_no_driver_when_nothing_fell():
    same = {WEB: Proportion(500, 250)}
    assert main_driver(Proportion(500, 250), Proportion(500, 250), same, same) is None


def _recovery(recent: Proportion, current_baseline=Proportion(8400, 4200), strata=()):
    return recovery(
        fired_on=0.5,
        comparison=compare(current_baseline, recent, DEFAULTS, strata),
        tolerance_points=2.5,
        min_sample=50,
    )


def test_recovery_is_judged_against_the_baseline_the_alert_fired_on():
    back = _recovery(Proportion(900, 440))
    # The moving baseline has absorbed the fall; the alert's own baseline has not.
    still = _recovery(Proportion(900, 380), current_baseline=Proportion(8400, 3300))
    thin = _recovery(Proportion(20, 10))
    assert back.recovered and "Recovered" in back.reason
    assert not still.recovered and "-7.8 points" in still.reason
    assert not thin.recovered and "20 of 50" in thin.reason


def test_recovery_on_weak_weekdays_is_judged_against_those_weekdays():
    # Weekends convert 30 % against 50 % on weekdays: a recovered Saturday to Monday converts
    # 36.7 %, far below the 50 % the alert fired on, and is recovered all the same.
    weekday, weekend = Proportion(2000, 1000), Proportion(800, 240)
    baseline = Proportion(5 * 2000 + 2 * 800, 5 * 1000 + 2 * 240)
    strata = [Stratum(weekday, Proportion(300, 150))] + [
        Stratum(weekend, Proportion(300, 90)) for _ in range(2)
    ]
    back = _recovery(Proportion(900, 330), baseline, strata)
    assert back.recovered and "on these weekdays" in back.reason
