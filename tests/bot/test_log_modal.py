"""The "Log observation" modal: opening, narrowing pickers, inline errors, logging once."""

from sqlalchemy import select

from domain.member import service as member_service
from domain.observation.models import Observation
from domain.vocabulary import ObservationKind
from tests.support.factories import make_persona, make_workspace
from tests.support.slack_payloads import (
    block_suggestion,
    message_action,
    view_select,
    view_submission,
)
from tests.support.slack_requests import USER


async def open_modal(slack, fake_slack) -> dict:
    response = await slack.command("log")
    assert response.status_code == 200
    [opened] = await fake_slack.wait_for("views.open")
    fake_slack.calls.clear()
    return opened["view"]


async def observations(db) -> list[Observation]:
    async with db() as session:
        return list(await session.scalars(select(Observation)))


def block_ids(view: dict) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


async def test_log_opens_the_modal_with_the_command_trigger(slack, fake_slack, on_support):
    response = await slack.command("log", trigger_id="trigger.log.1")
    assert response.status_code == 200
    [opened] = await fake_slack.wait_for("views.open")
    assert opened["trigger_id"] == "trigger.log.1"
    view = opened["view"]
    assert view["callback_id"] == "log_observation"
    assert block_ids(view) == [
        "journey",
        "stage.0",
        "touchpoint.0",
        "kind",
        "emotion",
        "sentiment",
        "text",
    ]


async def test_someone_without_a_team_is_asked_for_it_in_the_modal(slack, fake_slack, db, acme):
    view = await open_modal(slack, fake_slack)
    team_block = view["blocks"][-1]
    assert team_block["block_id"] == "team"
    assert [o["text"]["text"] for o in team_block["element"]["options"]] == ["Marketing", "Support"]
    payload = view_submission(
        view,
        {
            "touchpoint": str(acme.checkout.id),
            "kind": "praise",
            "text": "Fast checkout",
            "team": str(acme.marketing.id),
        },
    )
    response = await slack.interaction(payload)
    assert response.status_code == 200 and response.text == ""
    [observation] = await observations(db)
    assert observation.author_team_id == acme.marketing.id
    async with db() as session:
        team = await member_service.team_of(session, workspace_id=acme.workspace.id, user_id=USER)
    assert team is not None and team.id == acme.marketing.id


async def test_an_observation_can_be_about_one_persona(slack, fake_slack, db, on_support):
    async with db.begin() as session:
        bargain_hunter = await make_persona(session, on_support.workspace, "Bargain hunter")
    view = await open_modal(slack, fake_slack)  # also links our Slack team to this workspace
    async with db.begin() as session:
        elsewhere = await make_persona(session, await make_workspace(session), "Elsewhere")
    [picker] = [b for b in view["blocks"] if b.get("block_id") == "persona"]
    assert [o["text"]["text"] for o in picker["element"]["options"]] == ["Bargain hunter"]
    assert picker["optional"] is True

    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Coupons"}
    forged = view_submission(view, {**chosen, "persona": str(elsewhere.id)})
    answer = (await slack.interaction(forged)).json()
    assert answer["response_action"] == "errors" and "persona" in answer["errors"]
    assert await observations(db) == []

    await slack.interaction(view_submission(view, {**chosen, "persona": str(bargain_hunter.id)}))
    [observation] = await observations(db)
    assert observation.persona_id == bargain_hunter.id


async def test_pickers_narrow_each_other(slack, fake_slack, on_support):
    view = await open_modal(slack, fake_slack)
    journeys = await slack.interaction(block_suggestion(view, {}, "log_journey", "store"))
    assert [o["text"]["text"] for o in journeys.json()["options"]] == ["Store visit"]

    online = {"journey": str(on_support.online.id)}
    stages = await slack.interaction(block_suggestion(view, online, "log_stage", ""))
    assert [o["text"]["text"] for o in stages.json()["options"]] == [
        "awareness",
        "consideration",
        "decision",
        "retention",
        "advocacy",
    ]
    everywhere = await slack.interaction(block_suggestion(view, {}, "log_touchpoint", "check"))
    assert [o["text"]["text"] for o in everywhere.json()["options"]] == [
        "Checkout (Online purchase › decision)",
        "Checkout (Store visit › purchase)",
    ]
    narrowed = await slack.interaction(block_suggestion(view, online, "log_touchpoint", "check"))
    assert [o["value"] for o in narrowed.json()["options"]] == [str(on_support.checkout.id)]


async def test_choosing_a_journey_clears_stage_and_touchpoint(slack, fake_slack, on_support):
    view = await open_modal(slack, fake_slack)
    option = {
        "text": {"type": "plain_text", "text": "Store visit"},
        "value": str(on_support.store.id),
    }
    chosen = {"touchpoint": str(on_support.checkout.id), "text": "typed so far"}
    response = await slack.interaction(view_select(view, "log_journey", option, chosen))
    assert response.status_code == 200
    [update] = await fake_slack.wait_for("views.update")
    assert update["view_id"] == "V0MODAL1"
    updated = update["view"]
    assert block_ids(updated)[:3] == ["journey", "stage.1", "touchpoint.1"]
    assert updated["blocks"][0]["element"]["initial_option"]["value"] == str(on_support.store.id)
    assert block_ids(updated)[-1] == "text"  # kept, so what was typed stays


async def test_submission_logs_and_confirms_in_the_channel(slack, fake_slack, db, on_support):
    view = await open_modal(slack, fake_slack)
    chosen = {
        "journey": str(on_support.online.id),
        "touchpoint": str(on_support.checkout.id),
        "kind": "pain_point",
        "emotion": "anxiety",
        "sentiment": "-1",
        "text": "Coupon field is hidden",
    }
    response = await slack.interaction(view_submission(view, chosen))
    assert response.status_code == 200 and response.text == ""
    [observation] = await observations(db)
    assert (observation.kind, observation.sentiment) == (ObservationKind.PAIN_POINT, -1)
    assert observation.stage_id == on_support.stages[2].id
    assert observation.author_team_id == on_support.support.id
    # The display name from users.info, looked up when the modal opened, not at submission.
    assert (observation.author_id, observation.author_name) == (USER, "Dana S.")
    assert not fake_slack.calls_to("users.info")
    [confirmation] = await fake_slack.wait_for("chat.postEphemeral")
    assert (confirmation["channel"], confirmation["user"]) == ("C0SUPPORT1", USER)


async def test_submitting_twice_logs_once(slack, fake_slack, db, on_support):
    view = await open_modal(slack, fake_slack)
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Once"}
    for _ in range(2):
        response = await slack.interaction(view_submission(view, chosen, view_id="V0TWICE"))
        assert response.status_code == 200
    assert len(await observations(db)) == 1


async def test_invalid_fields_show_inline(slack, fake_slack, db, on_support):
    view = await open_modal(slack, fake_slack)
    cases = [
        (
            {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "   "},
            "text",
            "The observation cannot be empty.",
        ),
        ({"kind": "insight", "text": "Somewhere"}, "touchpoint.0", "Say where you saw it"),
        (
            {
                "journey": str(on_support.online.id),
                "touchpoint": str(on_support.store_checkout.id),
                "kind": "insight",
                "text": "Wrong journey",
            },
            "touchpoint.0",
            "another journey",
        ),
    ]
    for chosen, block, message in cases:
        response = await slack.interaction(view_submission(view, chosen))
        assert response.status_code == 200
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert message in answer["errors"][block]
    assert await observations(db) == []


async def test_a_failing_web_api_never_loses_the_observation(slack, fake_slack, db, on_support):
    """The confirmation cannot be posted in the channel (the bot is not in it): the observation
    stays logged and the confirmation goes to the app's messages tab."""
    view = await open_modal(slack, fake_slack)
    fake_slack.fail("chat.postEphemeral", error="channel_not_found")
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Kept"}
    response = await slack.interaction(view_submission(view, chosen))
    assert response.status_code == 200
    [direct_message] = await fake_slack.wait_for("chat.postMessage")
    assert direct_message["channel"] == USER
    [observation] = await observations(db)
    assert observation.text == "Kept"


async def test_message_shortcut_prefills_the_modal_and_keeps_the_permalink(
    slack, fake_slack, db, on_support
):
    text = "Customer: checkout &lt;b&gt;fails&lt;/b&gt; &amp; I gave up"
    response = await slack.interaction(message_action(text, slack.response_url))
    assert response.status_code == 200
    [permalink_call] = await fake_slack.wait_for("chat.getPermalink")
    assert permalink_call["message_ts"] == "1700000000.000300"
    [opened] = await fake_slack.wait_for("views.open")
    view = opened["view"]
    text_block = next(b for b in view["blocks"] if b.get("block_id") == "text")
    assert text_block["element"]["initial_value"] == "Customer: checkout <b>fails</b> & I gave up"
    chosen = {
        "touchpoint": str(on_support.checkout.id),
        "kind": "pain_point",
        "text": text_block["element"]["initial_value"],
    }
    await slack.interaction(view_submission(view, chosen))
    [observation] = await observations(db)
    assert observation.permalink == ("https://acme.slack.com/archives/C0SUPPORT1/p1700000000000300")
    assert observation.author_name == "Dana S."


async def test_rate_limits_and_server_errors_are_retried(slack, fake_slack, db, on_support):
    view = await open_modal(slack, fake_slack)
    fake_slack.fail("chat.postEphemeral", status=429)
    chosen = {"touchpoint": str(on_support.checkout.id), "kind": "insight", "text": "Retried"}
    await slack.interaction(view_submission(view, chosen, view_id="V0RETRY1"))
    assert len(await fake_slack.wait_for("chat.postEphemeral", 2)) == 2

    fake_slack.reset()
    fake_slack.fail("chat.postEphemeral", status=500)
    chosen["text"] = "Retried again"
    await slack.interaction(view_submission(view, chosen, view_id="V0RETRY2"))
    assert len(await fake_slack.wait_for("chat.postEphemeral", 2)) == 2
    assert fake_slack.calls_to("chat.postMessage") == []
    assert len(await observations(db)) == 2
