"""People's Slack display names on what they do: looked up with users.info, remembered per
(Slack team, user), and never in the way when Slack cannot answer."""

import logging
import time

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_message import AlertButton
from bot.people import FALLBACK_TTL_SECONDS, NAME_TTL_SECONDS, Names, display_name
from tests.support.clock import Clock
from tests.support.slack_alerts import click, fired, state


@pytest.fixture
async def client(fake_slack):
    fake_slack.reset()
    return AsyncWebClient(base_url=fake_slack.api_url, token="xoxb-test")


def test_the_display_name_comes_first_then_the_real_name():
    assert display_name({"profile": {"display_name": "Dana S.", "real_name": "Dana"}}) == "Dana S."
    assert display_name({"profile": {"display_name": " ", "real_name": "Sam Porter"}}) == (
        "Sam Porter"
    )
    assert display_name({"real_name": "Kim Lee", "profile": {}}) == "Kim Lee"
    assert display_name({"name": "kim"}) is None


async def test_names_are_looked_up_once_per_team_and_user(fake_slack, client):
    names = Names()
    for _ in range(3):
        assert await names.of(client, team_id="T0001", user_id="U0001", handle="dana") == "Dana S."
    assert await names.of(client, team_id="T0001", user_id="U0002", handle="sam") == "Sam Porter"
    # The same user id in another Slack team is another person.
    fake_slack.add_user("U0001", "dee", "Dee", "Dee Dee")
    assert await names.of(client, team_id="T0002", user_id="U0001", handle="dee") == "Dee"
    assert [c["user"] for c in fake_slack.calls_to("users.info")] == ["U0001", "U0002", "U0001"]


async def test_a_name_changed_in_slack_shows_once_the_remembered_one_expires(fake_slack, client):
    clock = Clock()
    names = Names(clock=clock)
    assert await names.of(client, team_id="T0001", user_id="U0001", handle="dana") == "Dana S."
    fake_slack.add_user("U0001", "dana", "Dana Scully-Mulder", "Dana Scully-Mulder")
    looked_up_at = clock.now
    clock.now = looked_up_at + NAME_TTL_SECONDS - 0.001
    assert await names.of(client, team_id="T0001", user_id="U0001", handle="dana") == "Dana S."
    clock.now = looked_up_at + NAME_TTL_SECONDS
    got = await names.of(client, team_id="T0001", user_id="U0001", handle="dana")
    assert got == "Dana Scully-Mulder"
    assert len(fake_slack.calls_to("users.info")) == 2


async def test_the_longest_remembered_name_makes_room_when_full(fake_slack, client):
    names = Names(size=2)
    fake_slack.add_user("U0003", "kim", "Kim", "Kim Lee")
    for user_id in ("U0001", "U0002", "U0003", "U0002", "U0001"):  # U0003 pushes U0001 out
        await names.of(client, team_id="T0001", user_id=user_id, handle="x")
    assert [c["user"] for c in fake_slack.calls_to("users.info")] == [
        "U0001",
        "U0002",
        "U0003",
        "U0001",
    ]


async def test_an_unknown_user_keeps_their_handle_and_it_is_logged_without_the_token(
    fake_slack, client, caplog
):
    clock = Clock()
    names = Names(clock=clock)
    with caplog.at_level(logging.WARNING):
        got = await names.of(client, team_id="T0001", user_id="U0GONE", handle="ghost")
    assert got == "ghost"
    [record] = [r for r in caplog.records if "users.info" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "user_not_found" in record.getMessage() and "xoxb" not in caplog.text
    # Remembered for a minute, so a failing Slack is not asked again on every click.
    failed_at = clock.now
    clock.now = failed_at + FALLBACK_TTL_SECONDS - 0.001
    assert await names.of(client, team_id="T0001", user_id="U0GONE", handle="ghost") == "ghost"
    assert len(fake_slack.calls_to("users.info")) == 1
    clock.now = failed_at + FALLBACK_TTL_SECONDS
    assert await names.of(client, team_id="T0001", user_id="U0GONE", handle="ghost") == "ghost"
    assert len(fake_slack.calls_to("users.info")) == 2


async def test_a_slack_that_does_not_answer_costs_at_most_the_timeout(fake_slack, client):
    names = Names(timeout=0.3)
    fake_slack.go_dark(5)
    started = time.monotonic()
    assert await names.of(client, team_id="T0001", user_id="U0001", handle="dana") == "dana"
    assert time.monotonic() - started < 2


async def test_someone_without_a_display_name_acts_under_their_real_name(slack, db, acme):
    alert, blocks = await fired(db, acme)
    await click(slack, blocks, AlertButton.ACKNOWLEDGE, user_id="U0002")
    now, activity, _ = await state(db, alert)
    assert now.acknowledged_by == "Sam Porter"
    assert (activity[-1].actor_id, activity[-1].actor_name) == ("U0002", "Sam Porter")


async def test_a_burst_of_clicks_asks_slack_for_the_name_once(slack, fake_slack, db, acme):
    alert, blocks = await fired(db, acme)
    for button in (AlertButton.ACKNOWLEDGE, AlertButton.ASSIGN_TO_ME, AlertButton.RESOLVE):
        await click(slack, blocks, button)
    [lookup] = fake_slack.calls_to("users.info")
    assert lookup["user"] == "U0001" and lookup.token == "xoxb-test"
    now, _, _ = await state(db, alert)
    assert (now.assignee_name, now.resolved_by) == ("Dana S.", "Dana S.")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0, "times": 3},  # rate limited, even after the retries
        {"error": "user_not_found"},
        {"error": "missing_scope"},  # installed before users:read was asked for
        {"status": 500, "times": 3},
    ],
)
async def test_the_action_is_done_under_the_handle_when_users_info_fails(
    slack, fake_slack, db, acme, caplog, fault
):
    alert, blocks = await fired(db, acme)
    fake_slack.fail("users.info", **fault)
    with caplog.at_level(logging.WARNING):
        await click(slack, blocks, AlertButton.RESOLVE)
    now, _, updates = await state(db, alert)
    assert now.resolved_by == "dana"  # the handle in the payload
    assert len(updates) == 1
    assert "slack: users.info failed" in caplog.text and "xoxb" not in caplog.text
    assert not fake_slack.calls_to("response_url")  # nothing to apologise for
