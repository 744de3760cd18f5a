"""The worker's follow-ups on done actions and alerts resolved by hand: customers through the
ingestion use case, a fixed clock, the real cohort source, and what reaches Slack
(docs/alerts.md, "The outcome of a done action" and "Resolve with proof")."""

import asyncio
from collections import Counter

import pytest

from bot.local_slack import LocalSlack
from domain.action import outcome as action_outcome
from domain.action.models import Action
from domain.mention import service as mention_service
from domain.metrics.cohorts import daily_cohorts
from domain.notification.models import Notification, NotificationKind, NotificationStatus
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.outcomes import follow_up
from tests.support.delivery import delivered_ids, dispatcher, notifications
from tests.support.factories import (
    make_action_post,
    make_done_action,
    make_observation,
    make_team,
    stages_of,
)
from tests.support.outcomes import (
    AFTER,
    BEFORE,
    MOMENT,
    THREE_DAYS_AFTER,
    TWO_DAYS_AFTER,
    resolved_alert,
    send_shoppers,
)
from tests.support.shop import make_shop

TEAM_CHANNEL = "C0PRODUCT"


@pytest.fixture
async def slack():
    async with LocalSlack() as server:
        yield server


@pytest.fixture
async def runtime(db, database_url, slack):
    settings = Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test")
    runtime = Runtime.create(settings, database_url)
    yield runtime
    await runtime.close()


async def done_action(runtime: Runtime, *, converting_after: int):
    """A done action at the shop's first stage, addressing two observations (one +1'd by
    their two authors' colleague and by one of them), with 30 % conversion before it and
    `converting_after` of 40 a day after."""
    async with runtime.db() as session:
        workspace, journey, touchpoints = await make_shop(session)
        look, *_ = await stages_of(session, journey)
        team = await make_team(session, workspace, "product", channel=TEAM_CHANNEL)
        shipping = await make_observation(
            session,
            touchpoint=touchpoints["web"],
            text="customers abandon checkout when <!channel> shipping costs appear",
            author_id="U0001",
        )
        slow = await make_observation(session, stage=look, text="slow pages", author_id="U0002")
        by_api = await make_observation(session, stage=look, author_id="token:1")
        for person in ("U0002", "U0003"):
            await mention_service.mention(
                session,
                workspace_id=workspace.id,
                observation_id=shipping.id,
                author_id=person,
                author_name=person,
            )
        action = await make_done_action(
            session, look, done_at=MOMENT, team=team, observations=(shipping, slow, by_api)
        )
        post = await make_action_post(session, action, TEAM_CHANNEL)
        await session.commit()
        await send_shoppers(session, workspace, *BEFORE, converting=12)
        await send_shoppers(session, workspace, *AFTER, converting=converting_after)
    return action, post, touchpoints["web"]


async def stored(runtime: Runtime, action) -> Action:
    async with runtime.db() as session:
        return await session.get_one(Action, (action.workspace_id, action.id))


def of_kind(rows, kind):
    return [n for n in rows if n.kind is kind]


async def test_a_real_improvement_is_measured_once_and_told_to_the_thread_team_and_raisers(
    runtime, slack
):
    action, post, web = await done_action(runtime, converting_after=24)

    done = await follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER)

    assert done.measured == [action.id] and not done.failed
    outcome = (await stored(runtime, action)).outcome
    assert outcome is not None
    assert (outcome["verdict"], outcome["before_entered"], outcome["before_converted"]) == (
        "better",
        1120,
        336,
    )
    assert (outcome["after_entered"], outcome["after_converted"]) == (120, 72)
    assert (outcome["after_first"], outcome["after_last"]) == ("2026-11-21", "2026-11-23")
    rows = await notifications(runtime)
    [reply] = of_kind(rows, NotificationKind.REPLY)
    assert (reply.parent_id, reply.channel_id, reply.action_id) == (
        post.id,
        TEAM_CHANNEL,
        action.id,
    )
    assert reply.text.startswith(
        ":bar_chart: Outcome of *Show shipping on the product page* at look: Better: conversion "
        "went from 30.0 % (1,120 customers before) to 60.0 % (120 after), +30.0 points"
    )
    [channel_post] = [n for n in of_kind(rows, NotificationKind.POST) if n.id != post.id]
    assert (channel_post.channel_id, channel_post.text) == (TEAM_CHANNEL, reply.text)
    directs = {n.channel_id: n.text for n in of_kind(rows, NotificationKind.DIRECT)}
    assert sorted(directs) == ["U0001", "U0002", "U0003"]  # one each; not the API token
    assert directs["U0001"] == (
        f"Your observation about “customers abandon checkout when &lt;!channel&gt; shipping "
        f"costs appear” at {web.name} led to *Show shipping on the product page*; conversion "
        "at look went from 30.0 % to 60.0 % (better, beyond chance)."
    )
    assert directs["U0002"].startswith("Your observation about “slow pages” at look led to")
    assert directs["U0003"].startswith("The observation you +1'd about “customers abandon")

    again = await follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER)
    assert again.measured == []
    assert len(await notifications(runtime)) == len(rows)

    await dispatcher(runtime).run()
    sent = await notifications(runtime)
    assert all(n.status is NotificationStatus.SENT for n in sent)
    # Each reached Slack once (the action's own message was posted before this test began).
    assert delivered_ids(slack) == Counter(str(n.id) for n in sent if n.id != post.id)
    assert [m["text"] for m in slack.direct_messages("U0001")] == [directs["U0001"]]
    in_thread = [m for m in slack.posted(TEAM_CHANNEL) if m["thread_ts"] == post.slack_ts]
    assert [m["text"] for m in in_thread] == [reply.text]


async def test_the_same_conversion_after_is_no_change(runtime):
    action, _, _ = await done_action(runtime, converting_after=12)
    await follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER)
    outcome = (await stored(runtime, action)).outcome
    assert outcome is not None and outcome["verdict"] == "no_change"
    directs = of_kind(await notifications(runtime), NotificationKind.DIRECT)
    assert len(directs) == 3
    assert all(d.text.endswith("from 30.0 % to 30.0 % (no change beyond chance).") for d in directs)


async def test_nothing_is_said_before_enough_days_have_matured_after(runtime):
    action, post, _ = await done_action(runtime, converting_after=24)
    done = await follow_up(runtime, cohorts=daily_cohorts, at=TWO_DAYS_AFTER)
    assert done.measured == []
    assert (await stored(runtime, action)).outcome is None
    assert [n.id for n in await notifications(runtime)] == [post.id]


async def test_two_workers_at_once_measure_and_announce_once(runtime):
    action, _, _ = await done_action(runtime, converting_after=24)
    first, second = await asyncio.gather(
        follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER),
        follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER),
    )
    assert first.measured + second.measured == [action.id]
    rows = await notifications(runtime)
    assert len(of_kind(rows, NotificationKind.REPLY)) == 1
    assert len(of_kind(rows, NotificationKind.DIRECT)) == 3


async def test_an_action_without_a_message_still_tells_its_team_and_raisers(runtime):
    _, post, _ = await done_action(runtime, converting_after=24)
    async with runtime.db.begin() as session:
        await session.delete(await session.get_one(Notification, (post.workspace_id, post.id)))
    await follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER)
    rows = await notifications(runtime)
    assert of_kind(rows, NotificationKind.REPLY) == []
    assert [n.channel_id for n in of_kind(rows, NotificationKind.POST)] == [TEAM_CHANNEL]
    assert len(of_kind(rows, NotificationKind.DIRECT)) == 3


async def test_the_worker_checks_an_alert_resolved_by_hand_once(runtime):
    async with runtime.db() as session:
        alert = await resolved_alert(session, converting_after=12)
    first, second = await asyncio.gather(
        follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER),
        follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER),
    )
    assert first.proved + second.proved == [alert.id]
    rows = await notifications(runtime)
    [reply] = of_kind(rows, NotificationKind.REPLY)
    assert reply.text.startswith(":rotating_light: Reopened:")


async def test_an_action_on_the_last_stage_waits_for_no_outcome(runtime):
    async with runtime.db.begin() as session:
        _, journey, _ = await make_shop(session)
        *_, buy = await stages_of(session, journey)
        await make_done_action(session, buy, done_at=MOMENT)
        assert await action_outcome.due(session) == []


async def test_a_run_that_fails_midway_leaves_nothing_and_the_next_run_measures_once(runtime):
    action, _, _ = await done_action(runtime, converting_after=24)

    async def broken(session, **where):
        await daily_cohorts(session, **where)
        raise ConnectionError("the database went away")

    failed = await follow_up(runtime, cohorts=broken, at=THREE_DAYS_AFTER)
    assert (failed.measured, failed.failed) == ([], 1)
    assert (await stored(runtime, action)).outcome is None
    assert len(await notifications(runtime)) == 1  # the action's own message only

    retried = await follow_up(runtime, cohorts=daily_cohorts, at=THREE_DAYS_AFTER)
    assert retried.measured == [action.id]
    assert len(of_kind(await notifications(runtime), NotificationKind.DIRECT)) == 3
