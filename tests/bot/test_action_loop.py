"""The action loop from end to end, as people live it in Slack (issue: "from alert to action
to measured outcome"). An alert fires at a stage where three staff members logged what they
saw (one of them also +1'd a colleague's observation); someone clicks *Create action* on the
alert's message, submits the form with those observations pre-selected, and later clicks
*Done* on the action's message in the owning team's channel. Customers keep entering, sent
through the ingestion use case on a fixed clock, until the cohorts after the action have
matured; the worker's follow-ups then measure the outcome. Everything reaches the local Slack
through the outbox, once: one reply in the action's thread, one post in the team's channel,
and to each person who raised it one message when the action is done and one with its
outcome. A double click and Slack's retries along the way change nothing twice."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.action_message import ActionButton
from bot.alert_message import AlertButton
from bot.delivery import deliver_due
from domain.action.models import Action, ActionActivity
from domain.alert import service as alert_service
from domain.alert.models import AlertStatus
from domain.mention import service as mention_service
from domain.metrics.cohorts import daily_cohorts
from domain.touchpoint.models import Touchpoint
from domain.vocabulary import ActionStatus
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.outcomes import follow_up
from tests.support.factories import (
    dropped_evaluation,
    make_alert_rule,
    make_observation,
    make_team,
    send,
    stages_of,
)
from tests.support.outcomes import ONE_DAY_WINDOW, shoppers
from tests.support.shop import make_shop
from tests.support.slack_alerts import click
from tests.support.slack_payloads import alert_button, view_submission
from tests.support.slack_requests import payload_body

ALERTS = "C0ALERTS1"
TEAM_CHANNEL = "C0PRODUCT"
FORM = "application/x-www-form-urlencoded"
TITLE = "Show shipping on the product page"
# Who logged what at the stage; U0BEN also +1's U0ANA's observation.
OBSERVED = {
    "U0ANA": "customers leave when <!channel> shipping costs appear",
    "U0BEN": "shipping costs are a surprise at checkout",
    "U0CAT": "people ask support what delivery costs",
}
CONVERTING_BEFORE = 12  # of the 40 customers a day (tests/support/outcomes.py): 30 %


@pytest.fixture
async def runtime(database_url, fake_slack):
    """The worker's side: the outbox delivered to the local Slack, the follow-ups job."""
    settings = Settings(slack_api_url=fake_slack.api_url, slack_bot_token="xoxb-test")
    runtime = Runtime.create(settings, database_url)
    yield runtime
    await runtime.close()


async def shop_with_an_alert(db):
    """The shop (look → cart → buy), its web page owned by Product (channel C0PRODUCT); 28
    days of customers at 30 % conversion; three observations at look, then an alert there.
    The workspace and the alert."""
    today = datetime.now(UTC).date()
    async with db.begin() as session:
        workspace, journey, touchpoints = await make_shop(session)
        look, *_ = await stages_of(session, journey)
        product = await make_team(session, workspace, "Product", channel=TEAM_CHANNEL)
        await session.execute(
            update(Touchpoint)
            .where(Touchpoint.id == touchpoints["web"].id)
            .values(owner_team_id=product.id)
        )
        observations = [
            await make_observation(
                session, touchpoint=touchpoints["web"], author_id=who, author_name=who, text=text
            )
            for who, text in OBSERVED.items()
        ]
        await mention_service.mention(
            session,
            workspace_id=workspace.id,
            observation_id=observations[0].id,
            author_id="U0BEN",
            author_name="Ben",
        )
    await customers(db, workspace, today - timedelta(days=28), today - timedelta(days=1))
    async with db.begin() as session:
        rule = await make_alert_rule(session, journey, look)
        now = datetime.now(UTC)
        alert = await alert_service.fire(
            session,
            rule=rule,
            stage_id=look.id,
            evaluation=dropped_evaluation(now, ONE_DAY_WINDOW),
            at=now,
            channel_ids=(ALERTS,),
        )
    assert alert is not None
    return workspace, alert, {o.id for o in observations}


async def customers(
    db, workspace, first: date, last: date, *, converting: int = CONVERTING_BEFORE, **options
):
    """40 customers a day entering look, `converting` of them reaching cart, sent
    through the ingestion use case (`received_at` in `options`: the fixed clock)."""
    events = shoppers(first, last, converting)
    async with db.begin() as session:
        for start in range(0, len(events), 500):
            await send(session, workspace, *events[start : start + 500], **options)


async def retried(slack, payload, retry: int | None = None):
    """Send `payload` as Slack does; with `retry`, as Slack's retry number `retry`."""
    extra = {"extra": {"X-Slack-Retry-Num": str(retry)}} if retry else {}
    response = await slack.settled(slack.post(payload_body(payload), FORM, **extra))
    assert response.status_code == 200, response.text
    return response


async def done_through_slack(slack, fake_slack, db, runtime) -> tuple[Action, dict, set[str]]:
    """Create action on the delivered alert message, the form submitted (and retried by
    Slack), the action's message delivered, then Done clicked twice and retried by Slack.
    The action, its message in the team's channel, and the observations the form had
    chosen (their ids)."""
    await deliver_due(runtime)
    [alert_message] = fake_slack.posted(ALERTS)
    await click(slack, alert_message["blocks"], AlertButton.CREATE_ACTION)
    [opened] = await fake_slack.wait_for("views.open")
    fake_slack.calls.clear()
    [chosen] = [
        b["element"]["initial_options"]
        for b in opened["view"]["blocks"]
        if b.get("block_id") == "action_observations"
    ]
    form = view_submission(opened["view"], {"action_title": TITLE})
    for retry in (None, 1):
        response = await retried(slack, form, retry)
        assert response.text == "", response.text  # the modal closes, no error on the retry

    await deliver_due(runtime)
    [posted] = fake_slack.posted(TEAM_CHANNEL)
    done = alert_button(
        posted["blocks"], ActionButton.DONE, slack.response_url, channel=TEAM_CHANNEL
    )
    for retry in (None, None, 1):  # a double click, then Slack retrying the first
        await retried(slack, done, retry)
    await deliver_due(runtime)
    assert not fake_slack.calls_to("response_url")  # nobody was told of an error
    async with db() as session:
        [action] = await session.scalars(select(Action))
    return action, posted, {option["value"] for option in chosen}


async def test_a_real_improvement_closes_the_loop_once_for_everyone(slack, fake_slack, db, runtime):
    workspace, alert, observed = await shop_with_an_alert(db)
    action, posted, chosen = await done_through_slack(slack, fake_slack, db, runtime)
    assert chosen == {str(o) for o in observed}

    # The form had the alert's observations chosen; the action was created, moved and told once.
    async with db() as session:
        moved = await session.scalars(
            select(ActionActivity.status).where(ActionActivity.action_id == action.id)
        )
        assert sorted(moved) == sorted([ActionStatus.OPEN, ActionStatus.DONE])
        now = await alert_service.get(session, workspace_id=workspace.id, alert_id=alert.id)
    assert (action.status, action.alert_id, action.title) == (ActionStatus.DONE, alert.id, TITLE)
    assert now.status is AlertStatus.RESOLVED
    assert now.resolved_by_action_id == action.id
    assert posted["updates"] == 1 and "Done by Dana S." in str(posted["blocks"])
    for person in OBSERVED:
        [done_message] = fake_slack.direct_messages(person)
        assert f"led to *{TITLE}*, marked done by Dana S." in done_message["text"]
    assert "<!channel>" not in fake_slack.direct_messages("U0ANA")[0]["text"]

    clock = await after_the_action(db, workspace, action, converting=24)
    measured = await follow_up(runtime, cohorts=daily_cohorts, at=clock)
    assert measured.measured == [action.id] and not measured.failed
    again = await follow_up(runtime, cohorts=daily_cohorts, at=clock)
    assert again.measured == []
    await deliver_due(runtime)
    await deliver_due(runtime)  # a second round finds nothing left to send

    # 28 days before of 40 customers, 12 converting; the three days after, 24 of 40.
    said = (
        f":bar_chart: Outcome of *{TITLE}* at look: Better: conversion went from 30.0 % "
        "(1,120 customers before) to 60.0 % (120 after), +30.0 points"
    )
    in_channel = fake_slack.posted(TEAM_CHANNEL)
    [reply] = [m for m in in_channel if m["thread_ts"] == posted["ts"]]
    [team_post] = [m for m in in_channel if m["thread_ts"] is None and m is not posted]
    assert reply["text"].startswith(said)
    assert team_post["text"] == reply["text"]
    assert len(in_channel) == 3  # the action's message, its outcome in the thread and below
    for person in OBSERVED:
        done_message, outcome = fake_slack.direct_messages(person)
        assert "we will tell you what it changed" in done_message["text"]
        went = f"led to *{TITLE}*; conversion at look went from 30.0 % to 60.0 %"
        assert went in outcome["text"]
    assert fake_slack.direct_messages("U0ANA")[1]["text"].startswith(
        "Your observation about “customers leave when &lt;!channel&gt; shipping costs appear”"
    )
    async with db() as session:
        stored = await session.get_one(Action, (workspace.id, action.id))
    assert stored.outcome is not None and stored.outcome["verdict"] == "better"


async def test_the_same_conversion_after_the_action_is_told_as_no_change(
    slack, fake_slack, db, runtime
):
    workspace, _, _ = await shop_with_an_alert(db)
    action, posted, _ = await done_through_slack(slack, fake_slack, db, runtime)
    clock = await after_the_action(db, workspace, action, converting=CONVERTING_BEFORE)
    measured = await follow_up(runtime, cohorts=daily_cohorts, at=clock)
    assert measured.measured == [action.id]
    await deliver_due(runtime)
    async with db() as session:
        stored = await session.get_one(Action, (workspace.id, action.id))
    assert stored.outcome is not None and stored.outcome["verdict"] == "no_change"

    [reply] = [m for m in fake_slack.posted(TEAM_CHANNEL) if m["thread_ts"] == posted["ts"]]
    assert f"Outcome of *{TITLE}* at look: No change" in reply["text"]
    assert len(fake_slack.posted(TEAM_CHANNEL)) == 3
    for person in OBSERVED:
        _, outcome = fake_slack.direct_messages(person)
        assert outcome["text"].endswith("from 30.0 % to 30.0 % (no change beyond chance).")


async def after_the_action(db, workspace, action: Action, *, converting: int) -> datetime:
    """Customers from the day the action was done to four days after, sent on a fixed clock:
    06:00 on the fifth day, when the third day after it has matured (a day's alert window).
    That clock."""
    assert action.done_at is not None
    day = action.done_at.date()
    clock = datetime.combine(day + timedelta(days=5), time(6), UTC)
    await customers(
        db, workspace, day, day + timedelta(days=4), converting=converting, received_at=clock
    )
    return clock
