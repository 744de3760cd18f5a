"""Slack delivery against a local Web API server: everything arrives, nothing twice."""

import asyncio
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.delivery import deliver_due
from bot.local_slack import LocalSlack
from domain.alert import service as alert_service
from domain.notification.models import Notification, NotificationKind, NotificationStatus
from domain.workspace.models import Workspace
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.jobs import delivery_job, scheduled_jobs
from journeyops.worker import run_once
from tests.support.delivery import FAST, assert_each_delivered_once, dispatcher, notifications
from tests.support.factories import (
    install_slack_app,
    make_alert,
    make_alert_rule,
    make_journey,
    make_workspace,
    stages_of,
)

CHANNELS = ("C0SALES01", "C0SUPPORT", "C0PRODUCT")
ME = {"actor_id": "U0ME", "actor_name": "Dana"}


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


async def fire_alerts(runtime: Runtime, count: int, channels=CHANNELS) -> list:
    """`count` alerts (one per stage of fresh journeys), each for every channel, committed."""
    alerts = []
    async with runtime.db.begin() as session:
        workspace = await make_workspace(session)
        while len(alerts) < count:
            journey = await make_journey(session, workspace)
            rule = await make_alert_rule(session, journey)
            for stage in (await stages_of(session, journey))[:-1][: count - len(alerts)]:
                alerts.append(await make_alert(session, rule, stage, channels=channels))
    return alerts


async def deliver_everything(runtime: Runtime, *, within: float = 20.0, settings=FAST) -> None:
    """Run dispatchers (as the worker would, every so often) until nothing is pending."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await dispatcher(runtime, settings).run()
        if await pending(runtime) == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{await pending(runtime)} notifications still pending")


async def pending(runtime: Runtime) -> int:
    async with runtime.db() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status == NotificationStatus.PENDING)
        )


async def test_an_alert_is_posted_to_each_channel_updated_in_place_and_resolved_in_thread(
    runtime, slack
):
    (alert,) = await fire_alerts(runtime, 1, channels=("C0SALES01", "C0SUPPORT"))
    (job,) = [job for job in scheduled_jobs(runtime.settings) if job.name == "slack-delivery"]
    assert await run_once(runtime, job)  # the worker's job, under its advisory lock
    for channel in ("C0SALES01", "C0SUPPORT"):
        (message,) = slack.posted(channel)
        assert "losing customers" in str(message["blocks"])
        assert "Acknowledge" in str(message["blocks"])
    assert {c.token for c in slack.calls} == {"xoxb-test"}

    async with runtime.db.begin() as session:
        await alert_service.acknowledge(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
        )
    await deliver_due(runtime)
    assert "Acknowledged by Dana" in str(slack.posted("C0SALES01")[0]["blocks"])
    async with runtime.db.begin() as session:
        await alert_service.resolve_recovered(
            session,
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            reason="Recovered: conversion 49.5 %.",
            at=datetime.now(UTC),
        )
    await deliver_due(runtime)
    for channel in ("C0SALES01", "C0SUPPORT"):
        top, reply = slack.posted(channel)
        assert top["updates"] == 2  # acknowledged, then resolved: each in place
        assert "Resolved itself" in str(top["blocks"]) and "Acknowledge" not in str(top["blocks"])
        assert reply["thread_ts"] == top["ts"] and "Resolved itself" in reply["text"]
    await assert_each_delivered_once(runtime, slack)


async def test_an_update_waits_for_its_post_and_shows_the_latest_state(runtime, slack):
    (alert,) = await fire_alerts(runtime, 1, channels=("C0SALES01",))
    async with runtime.db.begin() as session:
        await alert_service.acknowledge(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
        )
        await alert_service.mute(session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME)
    await dispatcher(runtime).run()
    (message,) = slack.posted("C0SALES01")
    assert message["updates"] == 1  # ack and mute were queued as one update
    assert "Acknowledged by Dana" in str(message["blocks"]) and "Muted until <!date^" in str(
        message["blocks"]
    )
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.update"]


async def test_faults_429_500_lost_answers_and_an_outage_deliver_everything_exactly_once(
    runtime, slack
):
    await fire_alerts(runtime, 20)  # 60 posts
    slack.fail("chat.postMessage", status=429, retry_after=1, times=3)
    slack.fail("*", status=500, times=6)
    slack.fail("chat.postMessage", status=502, body="<html>Bad Gateway</html>", times=2)
    slack.lose_response("chat.postMessage", times=3)
    slack.fail("chat.postMessage", status=429, retry_after=2, times=1)  # beyond the inline wait
    slack.go_dark(1.5)
    await deliver_everything(runtime)
    await assert_each_delivered_once(runtime, slack)
    outcomes = Counter(c.outcome for c in slack.calls)
    assert outcomes["429"] == 4 and outcomes["500"] == 6 and outcomes["502"] == 2
    assert outcomes["lost"] == 3
    assert outcomes["dark"] >= 1
    print(f"\nfault test: 60 posts delivered once each; calls by outcome {dict(outcomes)}")


async def test_two_dispatchers_at_once_deliver_each_message_once(runtime, slack):
    await fire_alerts(runtime, 20)  # 60 posts
    slack.latency = 0.005
    first, second = dispatcher(runtime), dispatcher(runtime)
    reports = await asyncio.gather(first.run(), second.run())
    assert sum(r.sent for r in reports) == 60
    assert all(r.sent > 0 for r in reports)  # both worked, on different messages
    await assert_each_delivered_once(runtime, slack)
    assert len(slack.calls_to("chat.postMessage")) == 60


class Crash(BaseException):
    """A dispatcher dying (killed, out of memory) between Slack's answer and the commit."""


async def test_a_dispatcher_crash_mid_batch_loses_nothing_and_repeats_nothing(runtime, slack):
    await fire_alerts(runtime, 5)  # 15 posts, all in one batch of FAST's 10 + 5
    crashing = dispatcher(runtime)
    real_post, posts = crashing.sender.post, 0

    async def post_then_crash(*args, **kwargs):
        nonlocal posts
        ts = await real_post(*args, **kwargs)
        posts += 1
        if posts == 4:
            raise Crash
        return ts

    crashing.sender.post = post_then_crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await crashing.run()
    rows = await notifications(runtime)
    assert sum(n.status is NotificationStatus.SENT for n in rows) == 3
    await deliver_everything(runtime)  # after the crashed claims' lease runs out
    await assert_each_delivered_once(runtime, slack)
    assert len(slack.calls_to("chat.postMessage")) == 15
    assert slack.calls_to("conversations.history")  # it looked before posting again


async def test_a_channel_slack_refuses_fails_alone_and_takes_its_updates_with_it(runtime, slack):
    (alert,) = await fire_alerts(runtime, 1, channels=("C0SALES01", "C0GONE001"))
    slack.fail("chat.postMessage", error="channel_not_found", channel="C0GONE001")
    await dispatcher(runtime).run()
    async with runtime.db.begin() as session:
        await alert_service.resolve(
            session, workspace_id=alert.workspace_id, alert_id=alert.id, **ME
        )
    await dispatcher(runtime).run()
    by_channel = {(n.channel_id, n.kind): n for n in await notifications(runtime)}
    gone = by_channel["C0GONE001", NotificationKind.POST]
    assert (gone.status, gone.last_error) == (NotificationStatus.FAILED, "channel_not_found")
    assert ("C0GONE001", NotificationKind.UPDATE) not in by_channel  # nothing to update there
    assert by_channel["C0SALES01", NotificationKind.UPDATE].status is NotificationStatus.SENT


async def test_a_long_retry_after_goes_back_to_the_outbox_instead_of_blocking(runtime, slack):
    await fire_alerts(runtime, 1, channels=("C0SALES01",))
    slack.fail("chat.postMessage", status=429, retry_after=30)
    report = await dispatcher(runtime).run()
    assert report.retried == 1
    (row,) = await notifications(runtime)
    assert row.status is NotificationStatus.PENDING
    async with runtime.db() as session:
        wait = await session.scalar(select(Notification.next_attempt_at - func.now()))
    assert timedelta(seconds=28) < wait <= timedelta(seconds=30)


async def test_without_a_bot_token_messages_wait_until_there_is_one(db, database_url, slack):
    runtime = Runtime.create(Settings(slack_api_url=slack.api_url), database_url)
    try:
        await fire_alerts(runtime, 1, channels=("C0SALES01",))
        report = await dispatcher(runtime).run()
        assert (report.sent, report.retried) == (0, 1)
        assert slack.calls == []
        (row,) = await notifications(runtime)
        assert row.status is NotificationStatus.PENDING and "token" in row.last_error
    finally:
        await runtime.close()


async def test_a_dispatcher_keeps_its_claim_while_a_slow_post_outlasts_the_lease(runtime, slack):
    """Each post takes longer than a lease: the heartbeat keeps the claim, so a second
    dispatcher never takes over a message that is on its way (and posts it again)."""
    await fire_alerts(runtime, 1)  # 3 posts
    patient = replace(FAST, timeout_seconds=5.0)
    slack.latency = 1.5  # > the lease
    first, second = dispatcher(runtime, patient), dispatcher(runtime, patient)

    async def keep_trying() -> None:
        while await pending(runtime):
            await second.run()
            await asyncio.sleep(0.1)

    await asyncio.gather(first.run(), keep_trying())
    await assert_each_delivered_once(runtime, slack)
    assert len(slack.calls_to("chat.postMessage")) == 3
    # Nobody else ever claimed them, so nobody had to look in Slack for an earlier attempt.
    assert [n.attempts for n in await notifications(runtime)] == [1, 1, 1]
    assert slack.calls_to("conversations.history") == []


async def test_while_slack_is_not_connected_the_worker_says_once_how_many_messages_wait(
    db, database_url, slack, caplog
):
    runtime = Runtime.create(Settings(slack_api_url=slack.api_url), database_url)
    job = delivery_job()
    try:
        await fire_alerts(runtime, 1)  # 3 posts
        with caplog.at_level("WARNING", logger="journeyops.jobs"):
            for _ in range(3):
                await job.run(runtime)
        warnings = [r.getMessage() for r in caplog.records if r.name == "journeyops.jobs"]
        assert len(warnings) == 1
        assert warnings[0].startswith("3 Slack message(s) wait for Slack to be connected")
        assert "SLACK_BOT_TOKEN" in warnings[0] and "/slack/install" in warnings[0]
        assert all(n.attempts == 0 for n in await notifications(runtime))
        assert slack.calls == []
    finally:
        await runtime.close()


async def test_oauth_installs_deliver_each_workspace_with_the_token_its_install_stored(
    db, database_url, slack
):
    settings = Settings(
        slack_api_url=slack.api_url, slack_client_id="111.222", slack_client_secret="secret"
    )
    runtime = Runtime.create(settings, database_url)
    try:
        alerts = {}
        for team, channel in (("T0ACME", "C0ACME001"), ("T0GLOBEX", "C0GLOBEX1")):
            [alerts[team]] = await fire_alerts(runtime, 1, channels=(channel,))
            async with runtime.db.begin() as session:
                await session.execute(
                    Workspace.__table__.update()
                    .where(Workspace.id == alerts[team].workspace_id)
                    .values(slack_team_id=team)
                )
        [not_installed] = await fire_alerts(runtime, 1, channels=("C0NOINST1",))
        for team, token in (("T0ACME", "xoxb-acme"), ("T0GLOBEX", "xoxb-globex")):
            await install_slack_app(
                runtime.engine, client_id="111.222", team_id=team, bot_token=token
            )

        report = await deliver_due(runtime)

        assert (report.sent, report.retried) == (2, 1)
        tokens = {call["channel"]: call.token for call in slack.calls_to("chat.postMessage")}
        assert tokens == {"C0ACME001": "xoxb-acme", "C0GLOBEX1": "xoxb-globex"}
        [waiting] = [
            n for n in await notifications(runtime) if n.status is NotificationStatus.PENDING
        ]
        assert waiting.workspace_id == not_installed.workspace_id
        assert "/slack/install" in waiting.last_error
    finally:
        await runtime.close()
