from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from domain.alert.decision import Step
from domain.alert.evaluation import backtest, detectable_falls, evaluate_rule
from domain.alert.models import Alert, AlertStatus
from domain.errors import ValidationError
from domain.notification.models import Notification
from tests.support.cohorts import DROP_DAY, at, cohort_source
from tests.support.factories import (
    make_alert_rule,
    make_journey,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)


async def _count(session, model):
    return await session.scalar(select(func.count()).select_from(model))


async def test_a_rule_fires_on_the_dropping_stage_holds_while_open_and_resolves_itself(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
    _browse, cart, _buy = await stages_of(session, journey)
    team = await make_team(session, workspace, "checkout", channel="C0CHECKOUT")
    await make_touchpoint(session, cart, owner=team)
    rule = await make_alert_rule(session, journey)
    source = cohort_source(cart.id)

    # Everyone converts within a day, so the horizon is a day: the first dropped cohort (03-01)
    # is judged at 03-03 06:00, and a fall this large fires on that one day.
    outcomes = await evaluate_rule(session, rule=rule, at=at(date(2026, 3, 3)), cohorts=source)
    assert [(o.stage_name, o.decision.step) for o in outcomes] == [
        ("browse", Step.HOLD),
        ("cart", Step.FIRE),
    ]
    alert = outcomes[1].alert
    assert alert is not None and alert.recent_rate == 0.35
    assert (alert.recent_first, alert.recent_last) == (DROP_DAY, DROP_DAY)
    assert alert.alert_window_hours == 24  # the horizon it was judged on
    assert (alert.driver_dimension, alert.driver_label) == ("channel", "ad")
    notifications = list(await session.scalars(select(Notification)))
    assert [n.channel_id for n in notifications] == ["C0CHECKOUT"]
    # The days of every window it may judge: the baseline matured within the alert window
    # (to learn the horizon from) up to the newest day matured within a day.
    _stage, days, window, _as_of = source.calls[0]
    assert (days.first, days.last, window) == (date(2026, 1, 24), date(2026, 3, 1), timedelta(7))

    again = await evaluate_rule(session, rule=rule, at=at(date(2026, 3, 4)), cohorts=source)
    assert again[1].decision.step is Step.HOLD and "Still below" in again[1].decision.reason
    assert await _count(session, Alert) == 1

    # Recovered cohorts from 03-20 on; the recent window, within a day, is all recovered on
    # 03-24 (03-20..03-22) and not before.
    held = await evaluate_rule(session, rule=rule, at=at(date(2026, 3, 23)), cohorts=source)
    assert held[1].decision.step is Step.HOLD
    recovered = await evaluate_rule(session, rule=rule, at=at(date(2026, 3, 24)), cohorts=source)
    assert recovered[1].decision.step is Step.RESOLVE
    assert alert.status is AlertStatus.RESOLVED


async def test_a_dry_run_decides_but_writes_nothing(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
    _browse, cart, _buy = await stages_of(session, journey)
    rule = await make_alert_rule(session, journey, cart)
    outcomes = await evaluate_rule(
        session, rule=rule, at=at(date(2026, 3, 11)), cohorts=cohort_source(cart.id), apply=False
    )
    assert [(o.decision.step, o.alert) for o in outcomes] == [(Step.FIRE, None)]
    assert await _count(session, Alert) == 0


async def test_a_backtest_reports_each_fire_and_recovery_and_writes_nothing(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
    _browse, cart, _buy = await stages_of(session, journey)
    rule = await make_alert_rule(session, journey)
    events = await backtest(
        session,
        rule=rule,
        first_day=date(2026, 2, 15),
        last_day=date(2026, 4, 15),
        cohorts=cohort_source(cart.id),
    )
    assert [(e.stage_name, e.decision.step, e.at.date()) for e in events] == [
        ("cart", Step.FIRE, date(2026, 3, 3)),  # 03-01 judged within a day: fires on its own
        ("cart", Step.RESOLVE, date(2026, 3, 24)),  # 03-20..03-22, all recovered, judged
    ]
    assert await _count(session, Alert) == 0


async def test_a_backtest_over_more_than_a_year_is_refused(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    rule = await make_alert_rule(session, journey)
    with pytest.raises(ValidationError, match="at most 366 days"):
        await backtest(
            session,
            rule=rule,
            first_day=date(2025, 1, 1),
            last_day=date(2026, 3, 1),
            cohorts=cohort_source(None),
        )


async def test_what_each_watched_stage_can_show_comes_from_the_cohorts_an_evaluation_judges(
    session,
):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
    _browse, cart, _buy = await stages_of(session, journey)
    rule = await make_alert_rule(session, journey)
    source = cohort_source(cart.id)

    falls = await detectable_falls(session, rule=rule, at=at(date(2026, 2, 20)), cohorts=source)
    await evaluate_rule(session, rule=rule, at=at(date(2026, 2, 20)), cohorts=source)

    # 300 a day at 50 %: 900 recent and 8,400 baseline customers (docs/alerts.md's example).
    assert [(f.stage_name, round(f.fall.points or 0, 1)) for f in falls] == [
        ("browse", 7.9),
        ("cart", 7.9),
    ]
    assert falls[0].fall.reason.startswith("Can detect a fall of 7.9 points from 50.0 %")
    assert source.calls[:2] == source.calls[2:]  # the same windows as the evaluation's
