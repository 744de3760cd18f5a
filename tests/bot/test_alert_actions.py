"""The alert message's buttons and mute menu, used in Slack: signed block_actions in, the alert
changed, who did it recorded (by their Slack display name), and the in-place update of the
message queued in the outbox."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.alert_message import AlertButton, AlertView, render
from bot.delivery import deliver_due
from domain.alert.models import AlertAction, AlertActivity, AlertStatus, Resolution
from domain.notification.models import NotificationStatus
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_workspace,
    stages_of,
)
from tests.support.slack_alerts import click, fired, state
from tests.support.slack_payloads import alert_button, alert_menu
from tests.support.slack_requests import USER, shown

DANA = "Dana S."  # U0001's display name in Slack (bot/local_slack.py); "dana" is the handle


def done_by_dana(activity: list[AlertActivity]) -> list[AlertAction]:
    assert all(a.actor_id == USER and a.actor_name == DANA for a in activity[1:])
    return [a.action for a in activity]


async def test_acknowledge_records_who_and_queues_the_message_update(slack, fake_slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.ACKNOWLEDGE)
    now, activity, [update] = await state(db, alert)
    assert now.status is AlertStatus.ACKNOWLEDGED
    assert now.acknowledged_by == DANA
    assert done_by_dana(activity) == [AlertAction.FIRED, AlertAction.ACKNOWLEDGED]
    assert update.channel_id == "C0ALERTS1"
    assert update.status is NotificationStatus.PENDING
    # The message changes through the outbox only; nothing was answered or updated directly.
    assert not fake_slack.calls_to("chat.update") and not fake_slack.calls_to("response_url")


async def test_assign_to_me_assigns_the_clicker_and_acknowledges(slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.ASSIGN_TO_ME)
    now, activity, updates = await state(db, alert)
    assert (now.assignee_id, now.assignee_name) == (USER, DANA)
    assert now.status is AlertStatus.ACKNOWLEDGED
    assert done_by_dana(activity) == [AlertAction.FIRED, AlertAction.ASSIGNED]
    assert activity[-1].detail == f"assigned to {DANA}"
    assert len(updates) == 1


@pytest.mark.parametrize(("label", "hours"), [("1 hour", 1), ("24 hours", 24), ("7 days", 168)])
async def test_the_mute_menu_silences_the_rule_at_the_stage_for_the_time_chosen(
    slack, db, acme, label, hours
):
    alert, blocks = await fired(db, acme)
    before = datetime.now(UTC)
    await click(slack, blocks, AlertButton.MUTE, label=label)
    now, activity, updates = await state(db, alert)
    assert now.muted_until is not None
    muted_for = now.muted_until - before
    assert timedelta(hours=hours, minutes=-1) < muted_for < timedelta(hours=hours, minutes=1)
    assert done_by_dana(activity) == [AlertAction.FIRED, AlertAction.MUTED]
    assert len(updates) == 1
    # The updated message says until when, in each reader's own time zone.
    shown_now = render(AlertView(now, "Online purchase", "consideration", "https://jo.example"))
    assert f"Muted until <!date^{int(now.muted_until.timestamp())}^" in str(shown_now[1])


async def test_a_longer_mute_chosen_later_replaces_the_shorter_one(slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.MUTE, label="1 hour")
    await click(slack, blocks, AlertButton.MUTE, label="7 days")
    now, activity, _ = await state(db, alert)
    assert now.muted_until - datetime.now(UTC) > timedelta(days=6, hours=23)
    assert [a.action for a in activity].count(AlertAction.MUTED) == 2


async def test_the_mute_24_h_button_of_older_messages_still_mutes_for_a_day(slack, db, acme):
    alert, blocks = await fired(db, acme)
    older = [
        *blocks[:-1],
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": AlertButton.MUTE_24H,
                    "text": {"type": "plain_text", "text": "Mute 24 h"},
                    "value": str(alert.id),
                }
            ],
        },
    ]
    await click(slack, older, AlertButton.MUTE_24H)
    now, activity, _ = await state(db, alert)
    muted_for = now.muted_until - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < muted_for <= timedelta(hours=24)
    assert done_by_dana(activity) == [AlertAction.FIRED, AlertAction.MUTED]


@pytest.mark.parametrize("hours", [0, -1, 721])
async def test_a_mute_option_outside_the_limits_is_refused_with_the_domains_reason(
    slack, fake_slack, db, acme, hours
):
    """Slack only sends the options we offered, but the limits are the domain's to keep."""
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.MUTE, value=f"{hours}:{alert.id}")
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert "An alert can be muted for 1 hour up to 30 days (720 hours)" in shown(
        answer.params["blocks"]
    )
    now, activity, updates = await state(db, alert)
    assert now.muted_until is None and len(activity) == 1 and not updates


@pytest.mark.parametrize("value", ["24", "a day:x", "24:not-an-alert"])
async def test_a_garbled_mute_option_is_answered_as_stale(slack, fake_slack, db, acme, value):
    _, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.MUTE, value=value)
    [answer] = await fake_slack.wait_for("response_url")
    assert "may be out of date" in shown(answer.params["blocks"])


async def test_resolve_closes_the_alert_by_hand(slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.RESOLVE)
    now, activity, updates = await state(db, alert)
    assert now.status is AlertStatus.RESOLVED
    assert now.resolution is Resolution.BY_HAND
    assert now.resolved_by == DANA
    assert done_by_dana(activity) == [AlertAction.FIRED, AlertAction.RESOLVED]
    assert len(updates) == 1


@pytest.mark.parametrize(
    "button",
    [AlertButton.ACKNOWLEDGE, AlertButton.ASSIGN_TO_ME, AlertButton.MUTE, AlertButton.RESOLVE],
)
async def test_a_double_click_changes_nothing_twice(slack, fake_slack, db, acme, button):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, button)
    first, first_activity, first_updates = await state(db, alert)
    await click(slack, blocks, button)
    again, activity, updates = await state(db, alert)
    assert len(activity) == len(first_activity) == 2
    assert len(updates) == len(first_updates) == 1
    assert (again.status, again.assignee_id, again.muted_until, again.resolved_at) == (
        first.status,
        first.assignee_id,
        first.muted_until,
        first.resolved_at,
    )
    assert not fake_slack.calls_to("response_url")  # no error for a repeat


@pytest.mark.parametrize(
    "button",
    [AlertButton.ACKNOWLEDGE, AlertButton.ASSIGN_TO_ME, AlertButton.MUTE, AlertButton.RESOLVE],
)
async def test_five_clicks_at_once_change_the_alert_once(slack, fake_slack, db, acme, button):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.OPEN_MAP)  # links our Slack team to Acme first
    if button is AlertButton.MUTE:
        payload = alert_menu(blocks, button, "24 hours", slack.response_url)
    else:
        payload = alert_button(blocks, button, slack.response_url)
    running = asyncio.all_tasks()
    responses = await asyncio.gather(*(slack.interaction(payload) for _ in range(5)))
    assert all(response.status_code == 200 for response in responses)
    listeners = asyncio.all_tasks() - running - {asyncio.current_task()}
    await asyncio.wait(listeners, timeout=5)
    _, activity, updates = await state(db, alert)
    assert len(activity) == 2, [a.action for a in activity]
    assert len(updates) == 1
    assert not fake_slack.calls_to("response_url")


async def test_an_alert_of_another_workspace_is_not_found_and_untouched(
    slack, fake_slack, db, acme
):
    _, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.OPEN_MAP)  # links our Slack team to Acme first
    async with db.begin() as session:
        other = await make_workspace(session, "globex")
        journey = await make_journey(session, other, "Online purchase")
        stages = await stages_of(session, journey)
        rule = await make_alert_rule(session, journey, stages[1])
        foreign = await make_alert(session, rule, stages[1])
    # Our own alert message, its button carrying the other workspace's alert id.
    await click(slack, blocks, AlertButton.RESOLVE, value=str(foreign.id))
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert "No alert with that id exists in this workspace" in shown(answer.params["blocks"])
    assert not answer.params.get("replace_original")
    now, activity, updates = await state(db, foreign)
    assert now.status is AlertStatus.OPEN
    assert len(activity) == 1 and not updates


@pytest.mark.parametrize("value", ["not-an-alert", "6b1f0e7e-4f7a-4d7c-9b8a-3d1f2a9c0e11"])
async def test_an_unknown_alert_id_is_answered_privately(slack, fake_slack, db, acme, value):
    _, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.ACKNOWLEDGE, value=value)
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert ":warning:" in shown(answer.params["blocks"])


async def test_muting_a_resolved_alert_says_why_not(slack, fake_slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.RESOLVE)
    await click(slack, blocks, AlertButton.MUTE)
    [answer] = await fake_slack.wait_for("response_url")
    assert "already resolved" in shown(answer.params["blocks"])
    _, activity, _ = await state(db, alert)
    assert [a.action for a in activity] == [AlertAction.FIRED, AlertAction.RESOLVED]


async def test_open_map_is_only_acknowledged(slack, fake_slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.OPEN_MAP)
    _, activity, updates = await state(db, alert)
    assert len(activity) == 1 and not updates
    assert fake_slack.calls == []


async def test_a_click_on_the_posted_message_updates_it_in_place_once_delivered(
    slack, fake_slack, database_url, db, acme
):
    """The whole path: the worker posts the alert to the Slack the bot answers, someone clicks
    Acknowledge on that very message, the worker's next round rewrites it in place."""
    alert, _ = await fired(db, acme)
    settings = Settings(slack_api_url=fake_slack.api_url, slack_bot_token="xoxb-test")
    runtime = Runtime.create(settings, database_url)
    try:
        await deliver_due(runtime)
        [posted] = fake_slack.posted("C0ALERTS1")
        await click(slack, posted["blocks"], AlertButton.ACKNOWLEDGE)
        await deliver_due(runtime)
    finally:
        await runtime.close()
    [message] = fake_slack.posted("C0ALERTS1")
    assert message["updates"] == 1
    assert f"Acknowledged by {DANA}" in str(message["blocks"])
    _, _, [update] = await state(db, alert)
    assert update.status is NotificationStatus.SENT
