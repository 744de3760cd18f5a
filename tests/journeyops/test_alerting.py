"""The worker's evaluation job end to end: cohorts in, one alert, one Slack message out."""

import asyncio
from datetime import date, timedelta

from sqlalchemy import func, select, update

from bot.local_slack import LocalSlack
from domain.alert.models import Alert
from domain.alert_rule.models import AlertRule
from domain.metrics.cohorts import daily_cohorts
from domain.notification.models import Notification
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.alerting import evaluate_all, evaluation_job
from journeyops.worker import run_once
from tests.support.cohorts import at, cohort_source
from tests.support.delivery import FAST, assert_each_delivered_once, dispatcher
from tests.support.factories import (
    make_alert_rule,
    make_journey,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)
from tests.support.statements import counting_statements

WHEN = at(date(2026, 3, 11))


async def _journey_with_rule(runtime: Runtime, channel: str):
    async with runtime.db.begin() as session:
        workspace = await make_workspace(session)
        journey = await make_journey(session, workspace, stages=("browse", "cart", "buy"))
        _browse, cart, _buy = await stages_of(session, journey)
        team = await make_team(session, workspace, channel=channel)
        await make_touchpoint(session, cart, owner=team)
        await make_alert_rule(session, journey)
    return cart


async def _count(runtime: Runtime, model) -> int:
    async with runtime.db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_failing_rule_rolls_back_alone_and_the_others_fire_and_are_delivered(
    db, database_url
):
    async with LocalSlack() as slack:
        runtime = Runtime.create(
            Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test"), database_url
        )
        try:
            good = await _journey_with_rule(runtime, "C0GOOD001")
            bad = await _journey_with_rule(runtime, "C0BAD0001")
            source = cohort_source(good.id)

            async def breaks_on_bad(session, *, stage_ids, **kwargs):
                if bad.id in stage_ids:
                    raise RuntimeError("metrics unavailable")
                return await source(session, stage_ids=stage_ids, **kwargs)

            evaluation = await evaluate_all(runtime, cohorts=breaks_on_bad, at=WHEN)
            outcomes = evaluation.outcomes
            assert len(evaluation.failed_rules) == 1
            assert [o.decision.step.value for o in outcomes] == ["hold", "fire"]
            assert await _count(runtime, Alert) == 1
            await dispatcher(runtime, FAST).run()
            assert len(slack.posted("C0GOOD001")) == 1 and slack.posted("C0BAD0001") == []
            await assert_each_delivered_once(runtime, slack)
        finally:
            await runtime.close()


async def test_two_workers_evaluating_at_once_open_one_alert_and_post_it_once(db, database_url):
    runtimes = [Runtime.create(Settings(), database_url) for _ in range(2)]
    try:
        cart = await _journey_with_rule(runtimes[0], "C0CHECKOUT")
        source = cohort_source(cart.id)
        # Through the worker's advisory lock, and also racing without it.
        job = evaluation_job(cohorts=source, every=timedelta(minutes=15))
        await asyncio.gather(*(run_once(r, job) for r in runtimes))
        await asyncio.gather(*(evaluate_all(r, cohorts=source, at=WHEN) for r in runtimes))
        assert await _count(runtimes[0], Alert) == 1
        assert await _count(runtimes[0], Notification) == 1
    finally:
        for runtime in runtimes:
            await runtime.close()


async def _statements_to_evaluate(runtime: Runtime) -> list[str]:
    await evaluate_all(runtime, cohorts=daily_cohorts, at=WHEN)  # connections set up
    with counting_statements(runtime.engine, runtime.readers) as statements:
        evaluation = await evaluate_all(runtime, cohorts=daily_cohorts, at=WHEN)
    assert not evaluation.failed_rules and evaluation.outcomes
    return statements


async def test_a_journey_costs_the_same_statements_however_many_stages_and_rules(db, database_url):
    runtime = Runtime.create(Settings(), database_url)
    try:
        async with runtime.db.begin() as session:
            workspace = await make_workspace(session)
            small = await make_journey(session, workspace, stages=("browse", "buy"))
            await make_alert_rule(session, small)
        one_rule_one_stage = await _statements_to_evaluate(runtime)

        async with runtime.db.begin() as session:
            await session.execute(update(AlertRule).values(enabled=False))
            names = ("see", "browse", "compare", "cart", "pay", "return")
            big = await make_journey(session, workspace, stages=names)
            stages = await stages_of(session, big)
            await make_alert_rule(session, big)
            for stage in stages[:4]:
                await make_alert_rule(session, big, stage)
        five_rules_five_stages = await _statements_to_evaluate(runtime)

        assert len(five_rules_five_stages) == len(one_rule_one_stage)
        # The cohorts of all the stages the journey's rules watch: their rollup cells in one
        # statement, the conversions of the buckets holding the horizons' edges in one more.
        assert sum("FROM stage_day" in s for s in five_rules_five_stages) == 1
        assert sum("stage_progress" in s for s in five_rules_five_stages) == 2
    finally:
        await runtime.close()
