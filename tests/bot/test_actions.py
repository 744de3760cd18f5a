"""Actions through Slack, as Slack sends them: *Create action* on an alert (its observations
pre-selected), the modal's errors on their fields with nothing stored, the action posted to the
owning team's channel, *Start*/*Done*/*Drop* updating it in place, double clicks and retries
changing nothing twice and telling nobody twice, `/journey action`, `/journey actions`, App
Home and `/journey stage`."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.action_message import ActionButton
from bot.alert_message import AlertButton
from bot.delivery import deliver_due
from domain.action import lifecycle
from domain.action import service as action_service
from domain.action.models import Action, ActionActivity
from domain.alert import service as alert_service
from domain.alert.models import AlertStatus
from domain.mention import service as mention_service
from domain.notification.models import Notification, NotificationKind
from domain.observation.models import Observation
from domain.team.models import Team
from domain.vocabulary import ActionStatus
from domain.workspace.models import Workspace
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.delivery import dispatcher
from tests.support.factories import (
    install_slack_app,
    make_journey,
    make_observation,
    make_team,
    make_workspace,
    stages_of,
)
from tests.support.slack_alerts import click, fired
from tests.support.slack_app import Acme, bot_settings
from tests.support.slack_payloads import (
    HOME_OPENED,
    alert_button,
    home_accessory,
    view_submission,
)
from tests.support.slack_requests import (
    TEAM_ID,
    USER,
    SlackClient,
    ask,
    payload_body,
    shown,
)

DANA = "Dana S."
FORM = "application/x-www-form-urlencoded"
RAISED_BY = ("U0ANA", "U0BEN")


@pytest.fixture
async def channels(db, acme) -> Acme:
    """Acme, its teams with channels: Marketing owns Consideration, Support owns Decision."""
    async with db.begin() as session:
        for team, channel in ((acme.marketing, "C0MARKET1"), (acme.support, "C0SUPPORT1")):
            await session.execute(
                update(Team).where(Team.id == team.id).values(slack_channel_id=channel)
            )
    return acme


async def alert_with_observations(db, acme: Acme):
    """Two observations at Consideration (one +1'd by U0CAT), then an alert there showing
    them; the alert's message blocks."""
    async with db.begin() as session:
        observations = [
            await make_observation(
                session,
                touchpoint=acme.product_page,
                author_id=author,
                author_name=author,
                text=f"<!channel> reviews are hidden ({author})",
            )
            for author in RAISED_BY
        ]
        await mention_service.mention(
            session,
            workspace_id=acme.workspace.id,
            observation_id=observations[0].id,
            author_id="U0CAT",
            author_name="Cat",
        )
    alert, blocks = await fired(db, acme)
    return alert, blocks, observations


def block(view: dict, block_id: str) -> dict:
    [found] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return found


async def opened_view(fake_slack) -> dict:
    [opened] = await fake_slack.wait_for("views.open")
    fake_slack.calls.clear()
    return opened["view"]


async def actions(db) -> list[Action]:
    async with db() as session:
        return list(await session.scalars(select(Action)))


async def count(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def create_from_alert(slack, fake_slack, db, acme, title="Show <reviews> on top"):
    alert, blocks, observations = await alert_with_observations(db, acme)
    await click(slack, blocks, AlertButton.CREATE_ACTION)
    view = await opened_view(fake_slack)
    response = await slack.settled(
        slack.interaction(view_submission(view, {"action_title": title}))
    )
    assert response.status_code == 200 and response.text == "", response.text
    [action] = await actions(db)
    return alert, observations, action


async def test_create_action_on_an_alert_chooses_its_observations_and_posts_to_the_owners(
    slack, fake_slack, db, channels
):
    alert, blocks, observations = await alert_with_observations(db, channels)
    await click(slack, blocks, AlertButton.CREATE_ACTION)
    view = await opened_view(fake_slack)
    assert view["callback_id"] == "create_action"
    owner = block(view, "action_owner")["element"]["initial_option"]
    assert owner["value"] == str(channels.marketing.id)
    chosen = block(view, "action_observations")["element"]["initial_options"]
    assert {option["value"] for option in chosen} == {str(o.id) for o in observations}
    assert "Online purchase › consideration" in shown(view["blocks"])

    due = (datetime.now(UTC) + timedelta(days=14)).date()
    response = await slack.settled(
        slack.interaction(
            view_submission(view, {"action_title": "Show reviews on top", "action_due": str(due)})
        )
    )
    assert response.status_code == 200 and response.text == ""
    [action] = await actions(db)
    assert (action.alert_id, action.stage_id) == (alert.id, channels.stages[1].id)
    assert (action.owner_team_id, action.due_on) == (channels.marketing.id, due)
    assert (action.created_by_id, action.created_by_name) == (USER, DANA)
    async with db() as session:
        linked = await action_service.observation_ids(
            session, workspace_id=action.workspace_id, action_id=action.id
        )
        [post] = await session.scalars(
            select(Notification).where(Notification.action_id == action.id)
        )
    assert set(linked) == {o.id for o in observations}
    assert (post.kind, post.channel_id) == (NotificationKind.POST, "C0MARKET1")
    [confirmation] = await fake_slack.wait_for("chat.postEphemeral")
    assert confirmation["channel"] == "C0ALERTS1" and confirmation["user"] == USER
    assert "<#C0MARKET1>" in shown(confirmation["blocks"])


async def foreign_ids(db) -> dict[str, str]:
    async with db.begin() as session:
        other = await make_workspace(session, "globex")
        team = await make_team(session, other, "Sales")
        journey = await make_journey(session, other, "Online purchase")
        observation = await make_observation(session, stage=(await stages_of(session, journey))[1])
    return {"team": str(team.id), "observation": str(observation.id), "journey": str(journey.id)}


@pytest.mark.parametrize(
    ("chosen", "where", "says"),
    [
        ({"action_title": ""}, "action_title", "Title cannot be empty"),
        ({"action_title": "x" * 201}, "action_title", "200"),
        ({"action_owner": str(uuid.uuid4())}, "action_owner", "No team with that id"),
        ({"action_owner": "sales"}, "action_owner", "No team with that id"),
        ({"action_owner": "foreign team"}, "action_owner", "No team with that id"),
        ({"action_due": "2020-01-01"}, "action_due", "in the past"),
        ({"action_due": "soon"}, "action_due", "calendar"),
        ({"action_observations": ["foreign observation"]}, "action_observations", "1 of the"),
        ({"journey": "foreign journey"}, "action_title", "No journey with that id"),
    ],
)
async def test_a_refused_form_shows_why_on_the_field_and_stores_nothing(
    slack, fake_slack, db, channels, chosen, where, says
):
    _, blocks, _ = await alert_with_observations(db, channels)
    await click(slack, blocks, AlertButton.CREATE_ACTION)
    view = await opened_view(fake_slack)
    foreign = await foreign_ids(db)
    values = {"action_title": "Show reviews on top", **chosen}
    for name, value in values.items():
        if isinstance(value, str) and value.startswith("foreign "):
            values[name] = foreign[value.removeprefix("foreign ")]
        elif isinstance(value, list):
            values[name] = [foreign[v.removeprefix("foreign ")] for v in value]
    if "journey" in values:  # the form's hidden origin, forged
        metadata = json.loads(view["private_metadata"])
        view = {
            **view,
            "private_metadata": json.dumps({**metadata, "journey_id": values["journey"]}),
        }
        del values["journey"]
    response = await slack.settled(slack.interaction(view_submission(view, values)))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [where]
    assert says in answer["errors"][where]
    assert await count(db, Action) == 0 and await count(db, ActionActivity) == 0
    assert not fake_slack.calls_to("chat.postEphemeral")


def settings_for(fake_slack, **overrides) -> Settings:
    return Settings(slack_api_url=fake_slack.api_url, slack_bot_token="xoxb-test", **overrides)


async def press(slack, blocks, button: ActionButton, *, retry: int | None = None, **kwargs):
    payload = alert_button(blocks, button, slack.response_url, channel="C0MARKET1", **kwargs)
    extra = {"extra": {"X-Slack-Retry-Num": str(retry)}} if retry else {}
    response = await slack.settled(slack.post(payload_body(payload), FORM, **extra))
    assert response.status_code == 200, response.text


def button_ids(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_start_and_done_update_the_message_in_place_and_done_tells_each_raiser_once(
    slack, fake_slack, database_url, db, channels
):
    alert, _, action = await create_from_alert(slack, fake_slack, db, channels)
    runtime = Runtime.create(settings_for(fake_slack), database_url)
    try:
        await deliver_due(runtime)
        [posted] = fake_slack.posted("C0MARKET1")
        assert button_ids(posted["blocks"]) == ["action_start", "action_done", "action_drop"]
        assert "Show &lt;reviews&gt; on top" in shown(posted["blocks"])
        assert "<reviews>" not in json.dumps(posted["blocks"])
        assert "&lt;!channel&gt; reviews are hidden" in shown(posted["blocks"])

        await press(slack, posted["blocks"], ActionButton.START)
        await deliver_due(runtime)
        assert posted["updates"] == 1
        assert f"In progress by {DANA}" in shown(posted["blocks"])
        assert button_ids(posted["blocks"]) == ["action_done", "action_drop"]

        await press(slack, posted["blocks"], ActionButton.DONE)
        await press(slack, posted["blocks"], ActionButton.DONE)  # a double click
        await press(slack, posted["blocks"], ActionButton.DONE, retry=1)  # Slack retrying
        await deliver_due(runtime)
    finally:
        await runtime.close()
    assert posted["updates"] == 2
    assert f"Done by {DANA}" in shown(posted["blocks"])
    assert button_ids(posted["blocks"]) == []
    assert not fake_slack.calls_to("response_url")  # no error for a repeat
    for person in (*RAISED_BY, "U0CAT"):
        [dm] = fake_slack.direct_messages(person)
        assert "led to *Show &lt;reviews&gt; on top*, marked done by Dana S." in dm["text"]
        assert "at Product page led to" in dm["text"]
        assert "<!channel>" not in json.dumps(dm)
    assert f"({RAISED_BY[1]})" in fake_slack.direct_messages(RAISED_BY[1])[0]["text"]
    async with db() as session:
        now = await alert_service.get(session, workspace_id=alert.workspace_id, alert_id=alert.id)
        moved = await session.scalars(
            select(ActionActivity.status).order_by(ActionActivity.created_at)
        )
        assert list(moved) == [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE]
    assert now.status is AlertStatus.RESOLVED and now.resolved_by_action_id == action.id
    [alert_message] = fake_slack.posted("C0ALERTS1")
    assert alert_message["updates"] == 1 and f"Resolved by {DANA}" in shown(alert_message["blocks"])


async def test_drop_leaves_no_buttons_and_tells_nobody(
    slack, fake_slack, database_url, db, channels
):
    await create_from_alert(slack, fake_slack, db, channels)
    runtime = Runtime.create(settings_for(fake_slack), database_url)
    try:
        await deliver_due(runtime)
        [posted] = fake_slack.posted("C0MARKET1")
        await press(slack, posted["blocks"], ActionButton.DROP)
        await deliver_due(runtime)
    finally:
        await runtime.close()
    assert f"Dropped by {DANA}" in shown(posted["blocks"]) and button_ids(posted["blocks"]) == []
    assert not any(fake_slack.direct_messages(person) for person in RAISED_BY)


async def test_a_finished_action_says_so_when_a_stale_button_is_clicked(
    slack, fake_slack, db, channels
):
    _, _, action = await create_from_alert(slack, fake_slack, db, channels)
    async with db.begin() as session:
        await lifecycle.move(
            session,
            workspace_id=action.workspace_id,
            action_id=action.id,
            to=ActionStatus.DROPPED,
            actor_id="U0002",
            actor_name="Sam",
        )
    blocks = [{"type": "actions", "elements": [_button(ActionButton.START, str(action.id))]}]
    await press(slack, blocks, ActionButton.START)
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert "already dropped" in shown(answer.params["blocks"])


def _button(action_id: str, value: str) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": "x"},
        "value": value,
    }


@pytest.mark.parametrize("value", ["not-an-action", str(uuid.uuid4()), "foreign"])
async def test_an_unknown_or_foreign_action_is_answered_privately_and_untouched(
    slack, fake_slack, db, channels, value
):
    await slack.settled(slack.command("help"))  # links our Slack team to Acme first
    fake_slack.calls.clear()
    if value == "foreign":
        async with db.begin() as session:
            other = await make_workspace(session, "globex")
            journey = await make_journey(session, other, "Online purchase")
            foreign = await action_service.create(
                session, workspace_id=other.id, journey_id=journey.id, title="Theirs"
            )
        value = str(foreign.id)
    blocks = [{"type": "actions", "elements": [_button(ActionButton.DONE, value)]}]
    await press(slack, blocks, ActionButton.DONE)
    [answer] = await fake_slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert ":warning:" in shown(answer.params["blocks"])
    assert all(a.status is ActionStatus.OPEN for a in await actions(db))
    assert await count(db, ActionActivity) == len(await actions(db))


async def test_a_lost_answer_to_a_direct_message_is_not_sent_twice(
    fake_slack, database_url, db, channels
):
    async with db.begin() as session:
        observation = await make_observation(
            session, touchpoint=channels.checkout, author_id="U0ANA"
        )
        action = await action_service.create(
            session,
            workspace_id=channels.workspace.id,
            journey_id=channels.online.id,
            title="Show shipping early",
            owner_team_id=None,
            observation_ids=[observation.id],
        )
        await lifecycle.move(
            session,
            workspace_id=action.workspace_id,
            action_id=action.id,
            to=ActionStatus.DONE,
            actor_id="U0001",
            actor_name=DANA,
        )
    fake_slack.reset()
    fake_slack.lose_response("chat.postMessage")
    runtime = Runtime.create(settings_for(fake_slack), database_url)
    try:
        for _ in range(3):
            await dispatcher(runtime).run()
    finally:
        await runtime.close()
    [dm] = fake_slack.direct_messages("U0ANA")
    assert "Show shipping early" in dm["text"]
    assert fake_slack.calls_to("conversations.open")


async def test_oauth_installs_post_and_message_people_with_their_own_token(
    fake_slack, database_url, db, channels
):
    async with db.begin() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == channels.workspace.id)
            .values(slack_team_id=TEAM_ID)
        )
        observation = await make_observation(
            session, touchpoint=channels.checkout, author_id="U0ANA"
        )
        action = await action_service.create(
            session,
            workspace_id=channels.workspace.id,
            journey_id=channels.online.id,
            stage_id=channels.stages[2].id,
            title="Show shipping early",
            observation_ids=[observation.id],
        )
    fake_slack.reset()
    settings = Settings(
        slack_api_url=fake_slack.api_url, slack_client_id="111.222", slack_client_secret="shh"
    )
    runtime = Runtime.create(settings, database_url)
    try:
        await install_slack_app(
            runtime.engine, client_id="111.222", team_id=TEAM_ID, bot_token="xoxb-acme"
        )
        await deliver_due(runtime)
        async with runtime.db.begin() as session:
            await lifecycle.move(
                session,
                workspace_id=action.workspace_id,
                action_id=action.id,
                to=ActionStatus.DONE,
                actor_id="U0001",
                actor_name=DANA,
            )
        await deliver_due(runtime)
    finally:
        await runtime.close()
    [posted] = fake_slack.posted("C0SUPPORT1")
    assert posted["updates"] == 1
    assert len(fake_slack.direct_messages("U0ANA")) == 1
    calls = fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update")
    assert {call.token for call in calls} == {"xoxb-acme"} and len(calls) == 3


async def test_journey_action_opens_the_form_at_the_stage_with_the_title(
    slack, fake_slack, channels
):
    await slack.settled(slack.command("action Show shipping costs early at decision"))
    view = await opened_view(fake_slack)
    assert block(view, "action_title")["element"]["initial_value"] == "Show shipping costs early"
    assert "Online purchase › decision" in shown(view["blocks"])
    owner = block(view, "action_owner")["element"]["initial_option"]
    assert owner["value"] == str(channels.support.id)


async def test_journey_action_at_a_place_that_is_nothing_says_so(slack, fake_slack, channels):
    reply = await ask(slack, fake_slack, "action Fix it at nowhere-at-all")
    assert reply["response_type"] == "ephemeral"
    assert ":warning:" in shown(reply["blocks"])
    assert not fake_slack.calls_to("views.open")


async def made_actions(db, acme: Acme) -> list[Action]:
    made = []
    async with db.begin() as session:
        for title, owner, stage, moves in (
            ("<!channel> Show shipping early", acme.support, 2, ()),
            ("Shorter checkout", acme.support, 2, (ActionStatus.IN_PROGRESS,)),
            ("Live chat", acme.support, 2, (ActionStatus.DONE,)),
            ("Better reviews", acme.marketing, 1, ()),
        ):
            action = await action_service.create(
                session,
                workspace_id=acme.workspace.id,
                journey_id=acme.online.id,
                stage_id=acme.stages[stage].id,
                title=title,
                owner_team_id=owner.id,
                due_on=date(2099, 1, 31) if not moves else None,
            )
            for status in moves:
                await lifecycle.move(
                    session,
                    workspace_id=acme.workspace.id,
                    action_id=action.id,
                    to=status,
                    actor_id="U0002",
                    actor_name="Sam",
                )
            made.append(action)
    return made


async def test_journey_actions_lists_a_teams_actions_by_status_with_owners_and_due_dates(
    slack, fake_slack, db, channels
):
    await made_actions(db, channels)
    reply = await ask(slack, fake_slack, "actions support")
    assert reply["response_type"] == "ephemeral"
    text = shown(reply["blocks"])
    assert "Actions of Support" in text
    assert text.index("In progress* (1)") < text.index("Open* (1)") < text.index("Done* (1)")
    assert "&lt;!channel&gt; Show shipping early" in text and "<!channel>" not in text
    assert "owned by *Support* · due Jan 31, 2099" in text
    assert "Better reviews" not in text
    journey = shown((await ask(slack, fake_slack, "actions online purchase"))["blocks"])
    assert "Actions in Online purchase" in journey and "Better reviews" in journey
    everyone = shown((await ask(slack, fake_slack, "actions"))["blocks"])
    assert "Actions in this workspace" in everyone  # Dana is on no team yet
    unknown = await ask(slack, fake_slack, "actions nothing-like-it")
    assert ":warning:" in shown(unknown["blocks"])


async def test_my_teams_actions_by_default(slack, fake_slack, db, on_support):
    await made_actions(db, on_support)
    text = shown((await ask(slack, fake_slack, "actions"))["blocks"])
    assert "Actions of Support" in text and "Better reviews" not in text


async def test_app_home_shows_my_teams_actions_and_creates_one_from_an_observation(
    slack, fake_slack, db, on_support
):
    await made_actions(db, on_support)
    async with db.begin() as session:
        observation = await make_observation(
            session, touchpoint=on_support.checkout, text="Coupon box hides the pay button"
        )
    await slack.settled(slack.event(HOME_OPENED))
    [published] = await fake_slack.wait_for("views.publish")
    text = shown(published["view"]["blocks"])
    assert "Support's actions" in text and "Shorter checkout" in text
    assert "Better reviews" not in text
    await slack.settled(
        slack.interaction(home_accessory(published["view"], "create_action_on_observation:0"))
    )
    view = await opened_view(fake_slack)
    chosen = block(view, "action_observations")["element"]["initial_options"]
    assert [option["value"] for option in chosen] == [str(observation.id)]
    assert "Online purchase › decision" in shown(view["blocks"])


async def test_a_stage_answer_offers_create_action_at_that_stage(slack, fake_slack, channels):
    reply = await ask(slack, fake_slack, "stage consideration")
    await slack.settled(
        slack.interaction(
            alert_button(reply["blocks"], "create_action_at_stage:0", slack.response_url)
        )
    )
    view = await opened_view(fake_slack)
    assert "Online purchase › consideration" in shown(view["blocks"])
    owner = block(view, "action_owner")["element"]["initial_option"]
    assert owner["value"] == str(channels.marketing.id)


async def test_through_oauth_the_form_opens_and_creates_with_the_installations_token(
    database_url, fake_slack, db, channels
):
    async with db.begin() as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == channels.workspace.id)
            .values(slack_team_id=TEAM_ID)
        )
    settings = bot_settings(fake_slack, slack_client_id="111.222", slack_client_secret="shh")
    app = create_app(settings, database_url=database_url)
    await install_slack_app(
        app.state.runtime.engine, client_id="111.222", team_id=TEAM_ID, bot_token="xoxb-team"
    )
    fake_slack.reset()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            slack = SlackClient(http, fake_slack.response_url())
            await slack.settled(slack.command("action Show shipping early at decision"))
            [opened] = await fake_slack.wait_for("views.open")
            submitted = view_submission(opened["view"], {})
            response = await slack.settled(slack.interaction(submitted))
            assert response.status_code == 200 and response.text == ""
    finally:
        await app.state.runtime.close()
    assert opened.token == "xoxb-team"
    [action] = await actions(db)
    assert (action.workspace_id, action.title) == (channels.workspace.id, "Show shipping early")
    assert action.owner_team_id == channels.support.id
    [confirmation] = await fake_slack.wait_for("chat.postEphemeral")
    assert confirmation.token == "xoxb-team"


async def test_five_done_clicks_at_once_finish_the_action_once(slack, fake_slack, db, channels):
    _, _, action = await create_from_alert(slack, fake_slack, db, channels)
    blocks = [{"type": "actions", "elements": [_button(ActionButton.DONE, str(action.id))]}]
    payload = alert_button(blocks, ActionButton.DONE, slack.response_url, channel="C0MARKET1")
    running = asyncio.all_tasks()
    responses = await asyncio.gather(*(slack.interaction(payload) for _ in range(5)))
    assert all(response.status_code == 200 for response in responses)
    listeners = asyncio.all_tasks() - running - {asyncio.current_task()}
    await asyncio.wait(listeners, timeout=5)
    async with db() as session:
        moves = list(await session.scalars(select(ActionActivity.status)))
        dms = list(
            await session.scalars(
                select(Notification.channel_id).where(Notification.kind == NotificationKind.DIRECT)
            )
        )
    assert sorted(moves) == sorted([ActionStatus.OPEN, ActionStatus.DONE])
    assert sorted(dms) == sorted([*RAISED_BY, "U0CAT"])
    assert not fake_slack.calls_to("response_url")


async def test_a_retried_or_double_submitted_form_creates_one_action_posted_and_confirmed_once(
    slack, fake_slack, db, channels
):
    _, blocks, _ = await alert_with_observations(db, channels)
    await click(slack, blocks, AlertButton.CREATE_ACTION)
    view = await opened_view(fake_slack)
    payload = view_submission(view, {"action_title": "Show reviews on top"}, view_id="V0TWICE")
    # A double submit arrives together; then Slack retries, the first answer being late.
    doubled = await asyncio.gather(
        *(slack.settled(slack.post(payload_body(payload), FORM)) for _ in range(2))
    )
    retried = await slack.settled(
        slack.post(payload_body(payload), FORM, extra={"X-Slack-Retry-Num": "1"})
    )
    assert all(r.status_code == 200 and r.text == "" for r in (*doubled, retried))
    [action] = await actions(db)
    assert action.idempotency_key == "slack:view:V0TWICE"
    async with db() as session:
        posts = list(
            await session.scalars(select(Notification).where(Notification.action_id == action.id))
        )
    assert [p.channel_id for p in posts] == ["C0MARKET1"]
    assert await count(db, ActionActivity) == 1
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 1

    # Another form (another view) is another action.
    other = view_submission(view, {"action_title": "Show ratings"}, view_id="V0OTHER")
    await slack.settled(slack.interaction(other))
    assert sorted(a.title for a in await actions(db)) == ["Show ratings", "Show reviews on top"]


def create_action_button(blocks) -> dict:
    [button] = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("create_action_on_observation:")
    ]
    return button


async def test_logged_confirmation_offers_create_action_for_that_observation(
    slack, fake_slack, db, on_support
):
    reply = await ask(slack, fake_slack, "log product-page Reviews are hidden")
    async with db() as session:
        [observation] = await session.scalars(select(Observation))
    button = create_action_button(reply["blocks"])
    assert (button["text"]["text"], button["value"]) == ("Create action", str(observation.id))
    fake_slack.calls.clear()
    await slack.settled(
        slack.interaction(alert_button(reply["blocks"], button["action_id"], slack.response_url))
    )
    view = await opened_view(fake_slack)
    chosen = block(view, "action_observations")["element"]["initial_options"]
    assert [option["value"] for option in chosen] == [str(observation.id)]
    assert "Online purchase › consideration" in shown(view["blocks"])
    await slack.settled(
        slack.interaction(view_submission(view, {"action_title": "Show reviews on top"}))
    )
    [action] = await actions(db)
    async with db() as session:
        linked = await action_service.observation_ids(
            session, workspace_id=action.workspace_id, action_id=action.id
        )
    assert (action.title, linked) == ("Show reviews on top", [observation.id])


async def test_the_log_forms_confirmation_offers_create_action_too(
    slack, fake_slack, db, on_support
):
    await slack.settled(slack.command("log"))
    [opened] = fake_slack.calls_to("views.open")
    fake_slack.calls.clear()
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Coupons"}
    await slack.settled(slack.interaction(view_submission(opened["view"], chosen)))
    [confirmation] = await fake_slack.wait_for("chat.postEphemeral")
    async with db() as session:
        [observation] = await session.scalars(select(Observation))
    assert create_action_button(confirmation["blocks"])["value"] == str(observation.id)
