"""Benchmark: how early the default alert rule catches a real fall, and how often it fires when
nothing broke, on seeded synthetic stages evaluated daily as the worker does
(tests/support/alert_simulation.py, the same `domain.alert.decision.replay` backtests use).

Each figure is measured twice in the same run: as the rule decides (conversion judged within a
horizon learnt from the stage's time to convert, the recent window growing from one day,
weekday for weekday), and against a baseline of the same cohorts counted within the alert
window only (A = 7 days), which is how a slow stage is judged and how every stage was judged
before horizons.

    uv run python -m bench.alert_simulation             # the README's table (about a minute)
    uv run python -m bench.alert_simulation --seeds 3   # a quick run

Delays count days from the first affected cohort's day to the 06:00 evaluation that fires.
"""

import argparse
import random
import statistics
import time
from collections.abc import Callable

from domain.alert.decision import Step
from domain.alert.detectable import detectable_fall
from tests.support.alert_simulation import (
    DEFAULT_POLICY,
    WARM_UP,
    Timing,
    cohorts,
    detect,
    doubling_swings,
    holiday_week,
    judged_within_the_alert_window,
    over_a_week,
    run,
    steady,
    weekends_worse,
    within_a_day,
    within_a_day_or_two,
)

TIMINGS: dict[str, Timing] = {
    "most within a day": within_a_day,
    "most within a day or two": within_a_day_or_two,
    "evenly over eight days": over_a_week,
}
FALLS = [(300, 0.5, 0.35), (1500, 0.6, 0.48), (300, 0.5, 0.45)]


def _delays(seeds: int, within_alert_window_only: bool, **fall) -> str:
    runs = [
        detect(seed, within_alert_window_only=within_alert_window_only, **fall)
        for seed in range(seeds)
    ]
    caught = sorted(run.delay_days for run in runs if run.delay_days is not None)
    text = f"never in 30 days ({seeds} of {seeds})"
    if caught:
        text = f"{caught[0]}–{caught[-1]} days (median {statistics.median(caught):g})"
        if len(caught) < seeds:
            text += f", {seeds - len(caught)} of {seeds} never in 30 days"
    false = sum(run.false_alerts for run in runs)
    return text + (f"; {false} false alert(s) before the fall" if false else "")


def _false_alerts(
    seeds: int,
    volume: Callable[[int], int],
    rate: Callable[[int], float],
    timing: Timing,
    within_alert_window_only: bool,
) -> int:
    fired = 0
    for seed in range(seeds):
        series = cohorts(random.Random(seed), WARM_UP + 365, volume, rate, timing)
        if within_alert_window_only:
            series = judged_within_the_alert_window(series)
        fired += sum(e.step is Step.FIRE for e in run(series, WARM_UP, WARM_UP + 364))
    return fired


def _scenarios(per_day: int) -> dict[str, tuple[Callable[[int], int], Callable[[int], float]]]:
    flat = lambda _day: per_day  # noqa: E731
    return {
        "steady": (flat, steady),
        "weekends 20 % worse": (flat, weekends_worse(0.2)),
        "weekends 40 % worse": (flat, weekends_worse(0.4)),
        "a holiday week, traffic ×3": (holiday_week(per_day, WARM_UP + 150), steady),
        "traffic doubling every 3 weeks": (doubling_swings(per_day), steady),
        "all three at once (40 %)": (
            lambda day: doubling_swings(per_day)(day) * (3 if 150 <= day - WARM_UP < 157 else 1),
            weekends_worse(0.4),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="stages per figure")
    args = parser.parse_args()
    started = time.perf_counter()

    print("## Detection delay of a lasting fall\n")
    print("| fall | customers convert | delay | within the alert window |")
    print("| --- | --- | --- | --- |")
    for per_day, before, after in FALLS:
        for name, timing in TIMINGS.items():
            fall = dict(per_day=per_day, before=before, after=after, timing=timing)
            print(
                f"| {before:.0%} → {after:.0%} at {per_day:,} a day | {name} | "
                f"{_delays(args.seeds, False, **fall)} | {_delays(args.seeds, True, **fall)} |"
            )

    print("\n## What a 5-point fall at 300 a day runs into\n")
    policy = DEFAULT_POLICY
    for days in range(1, policy.recent_days + 1):
        fall = detectable_fall(
            baseline_entered=policy.baseline_days * 300,
            recent_entered=days * 300,
            baseline_rate=0.5,
            thresholds=policy.per_test,
        )
        print(f"- recent window of {days} day(s): {fall.reason}")

    years = max(1, args.seeds // 4)
    print(f"\n## False alerts in a year of daily evaluations ({years} stage-years each)\n")
    print("| customers a day | scenario | customers convert | alerts | within the alert window |")
    print("| --- | --- | --- | --- | --- |")
    for per_day in (25, 300, 3000):
        for scenario, (volume, rate) in _scenarios(per_day).items():
            for name, timing in (
                ("most within a day or two", within_a_day_or_two),
                ("evenly over eight days", over_a_week),
            ):
                new = _false_alerts(years, volume, rate, timing, False)
                old = _false_alerts(years, volume, rate, timing, True)
                print(f"| {per_day:,} | {scenario} | {name} | {new} | {old} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
