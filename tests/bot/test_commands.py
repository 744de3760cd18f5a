"""`/journey` subcommands end to end: signed request in, what the bot sent Slack out."""

import json
import logging
import re

import pytest
from sqlalchemy import select

from domain.member import service as member_service
from domain.mention import service as mention_service
from domain.observation.models import Observation
from domain.subscription import service as subscription_service
from domain.vocabulary import Emotion, ObservationKind, ObservationSource
from tests.support.factories import make_journey, make_observation
from tests.support.slack_app import PUBLIC_URL
from tests.support.slack_requests import USER, ask, shown


async def observations(db) -> list[Observation]:
    async with db() as session:
        return list(await session.scalars(select(Observation).order_by(Observation.created_at)))


async def test_help_lists_usage_privately(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "help")
    assert reply["response_type"] == "ephemeral"
    assert "/journey log checkout" in shown(reply["blocks"])


async def test_an_unknown_word_gets_help_naming_it(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "frobnicate <!here>")
    text = shown(reply["blocks"])
    assert "I don't know “frobnicate”" in text
    assert "/journey map" in text


async def test_team_puts_me_on_a_team_forgiving_case_and_typos(slack, fake_slack, db, acme):
    reply = await ask(slack, fake_slack, "team suport")
    assert "You are on *Support*" in shown(reply["blocks"])
    async with db() as session:
        team = await member_service.team_of(session, workspace_id=acme.workspace.id, user_id=USER)
    assert team is not None and team.id == acme.support.id


async def test_team_without_a_name_before_choosing_lists_the_teams(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "team")
    text = shown(reply["blocks"])
    assert "/journey team &lt;name&gt;" in text
    assert "Marketing, Support" in text


async def test_team_unknown_says_so(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "team finance")
    assert "No team is called “finance”" in shown(reply["blocks"])


async def test_quick_log_by_key_with_emotion_and_kind(slack, fake_slack, db, on_support):
    reply = await ask(
        slack, fake_slack, "log product-page Pages load slowly on mobile #frustration !pain_point"
    )
    [observation] = await observations(db)
    assert observation.text == "Pages load slowly on mobile"
    assert observation.touchpoint_id == on_support.product_page.id
    assert observation.kind == ObservationKind.PAIN_POINT
    assert observation.emotion == Emotion.FRUSTRATION
    assert observation.author_team_id == on_support.support.id
    assert (observation.author_id, observation.author_name) == (USER, "Dana S.")
    assert observation.source == ObservationSource.SLACK
    text = shown(reply["blocks"])
    assert "Logged *pain point*, feeling *frustration*" in text
    assert "Product page (Online purchase › consideration)" in text


async def test_quick_log_by_quoted_name_with_a_typo(slack, fake_slack, db, on_support):
    await ask(slack, fake_slack, 'log "prodct page" Reviews are hard to find')
    [observation] = await observations(db)
    assert observation.touchpoint_id == on_support.product_page.id
    assert observation.kind == ObservationKind.INSIGHT


async def test_quick_log_ambiguous_offers_buttons_and_logs_once_on_click(
    slack, fake_slack, db, on_support
):
    trigger = slack.trigger()
    reply = await ask(
        slack, fake_slack, "log checkout Shipping costs surprise people", trigger_id=trigger
    )
    assert await observations(db) == []
    actions = next(b for b in reply["blocks"] if b["type"] == "actions")
    buttons = actions["elements"]
    assert {b["text"]["text"] for b in buttons} == {
        "Checkout (Online purchase › decision)",
        "Checkout (Store visit › purchase)",
    }
    online = next(b for b in buttons if "Online" in b["text"]["text"])
    for button in (online, online, buttons[1]):  # a double click, then the other candidate
        response = await slack.settled(slack.interaction(block_action(button, slack.response_url)))
        assert response.status_code == 200
    [observation] = await observations(db)
    assert observation.touchpoint_id == on_support.checkout.id
    assert observation.text == "Shipping costs surprise people"
    [confirmation] = fake_slack.calls_to("response_url")  # the repeats answer nothing
    assert confirmation["replace_original"] is True
    assert "Logged" in shown(confirmation["blocks"])


def block_action(button: dict, response_url: str) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": USER, "username": "dana", "name": "dana", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "verification",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C0SUPPORT1",
            "is_ephemeral": True,
        },
        "trigger_id": "trigger.button",
        "team": {"id": "T0001", "domain": "acme"},
        "channel": {"id": "C0SUPPORT1", "name": "support"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b1",
                "text": button["text"],
                "value": button.get("value"),
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }


async def test_quick_log_unknown_touchpoint_without_anything_close(
    slack, fake_slack, db, on_support
):
    reply = await ask(slack, fake_slack, "log zeppelin Customers ask for airships")
    text = shown(reply["blocks"])
    assert "No touchpoint is called “zeppelin”" in text
    assert "Customers ask for airships" in text  # echoed, so nothing typed is lost
    assert await observations(db) == []


async def test_quick_log_unknown_touchpoint_suggests_the_closest(slack, fake_slack, db, on_support):
    reply = await ask(slack, fake_slack, "log page-product Reviews are hard to find")
    assert "Did you mean Product page (Online purchase › consideration)" in shown(reply["blocks"])
    assert any(b["type"] == "actions" for b in reply["blocks"])
    assert await observations(db) == []


async def test_quick_log_with_empty_text(slack, fake_slack, db, on_support):
    reply = await ask(slack, fake_slack, "log product-page #frustration")
    assert "The observation cannot be empty" in shown(reply["blocks"])
    assert await observations(db) == []


async def test_quick_log_text_over_the_limit(slack, fake_slack, db, on_support):
    reply = await ask(slack, fake_slack, "log product-page " + "x" * 3001)
    assert "3001 characters long; the limit is 3000" in shown(reply["blocks"])
    assert await observations(db) == []


async def test_quick_log_without_a_team_asks_for_one(slack, fake_slack, db, acme):
    reply = await ask(slack, fake_slack, "log product-page Reviews are hard to find")
    text = shown(reply["blocks"])
    assert "/journey team &lt;name&gt;" in text
    assert "Reviews are hard to find" in text
    assert await observations(db) == []


async def test_user_text_is_escaped_so_it_pings_and_spoofs_nobody(
    slack, fake_slack, db, on_support
):
    typed = "&lt;!channel&gt; see &lt;https://evil.example|your bank&gt; &amp; co"
    reply = await ask(slack, fake_slack, f"log product-page {typed}")
    [observation] = await observations(db)
    assert observation.text == "<!channel> see <https://evil.example|your bank> & co"
    raw = json.dumps(reply["blocks"])
    assert "<!channel>" not in raw and "<https://evil" not in raw
    assert "&lt;!channel&gt; see &lt;https://evil.example|your bank&gt; &amp; co" in raw


async def test_map_shows_stages_touchpoints_owners_and_links_to_the_web_map(
    slack, fake_slack, db, on_support
):
    async with db.begin() as session:
        await make_observation(
            session,
            touchpoint=on_support.checkout,
            text="Shipping <b>costs</b> appear late",
            emotion="anxiety",
        )
    reply = await ask(slack, fake_slack, "map online purchase")
    blocks = reply["blocks"]
    assert blocks[0]["text"]["text"] == "Online purchase"
    assert re.fullmatch(
        re.escape(f"{PUBLIC_URL}/journeys/{on_support.online.id}?days=90#sign-in=jol_")
        + "[A-Za-z0-9_-]{43}",
        blocks[1]["accessory"]["url"],
    )
    text = shown(blocks)
    assert "*3. decision*" in text
    assert "Checkout (`checkout`) — Support" in text
    assert "Staff report: anxiety ×1" in text
    assert "Shipping &lt;b&gt;costs&lt;/b&gt; appear late" in text


async def test_map_of_an_unknown_journey(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "map nonexistent")
    assert "No journey is called “nonexistent”" in shown(reply["blocks"])


async def test_map_without_a_name_when_several_journeys_exist(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "map")
    assert "Say which journey: Online purchase, Store visit" in shown(reply["blocks"])


async def test_map_of_a_long_journey_stays_within_fifty_blocks(slack, fake_slack, db, acme):
    async with db.begin() as session:
        await make_journey(
            session, acme.workspace, "Long road", stages=tuple(f"step {i}" for i in range(30))
        )
    reply = await ask(slack, fake_slack, "map long road")
    assert len(reply["blocks"]) == 50
    assert "…and 13 more" in shown(reply["blocks"][-1:])


async def test_stage_shows_what_each_team_observed(slack, fake_slack, db, on_support):
    async with db.begin() as session:
        await make_observation(session, touchpoint=on_support.checkout, team=on_support.support)
        await make_observation(
            session, touchpoint=on_support.checkout, team=on_support.support, text="coupon field"
        )
        await make_observation(
            session, stage=on_support.stages[2], team=on_support.marketing, text="promo works"
        )
    reply = await ask(slack, fake_slack, "stage decision")
    text = shown(reply["blocks"])
    assert "Online purchase › decision" in text
    assert "*Support*: 2 observations" in text
    assert "*Marketing*: 1 observation" in text
    assert text.index("Support") < text.index("Marketing")


async def test_stage_ambiguous_between_journeys_offers_buttons(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "stage awareness")
    actions = next(b for b in reply["blocks"] if b["type"] == "actions")
    labels = [b["text"]["text"] for b in actions["elements"]]
    assert labels == ["Online purchase › awareness", "Store visit › awareness"]
    response = await slack.interaction(block_action(actions["elements"][1], slack.response_url))
    assert response.status_code == 200
    [shown_stage] = await fake_slack.wait_for("response_url")
    assert shown_stage["blocks"][0]["text"]["text"] == "Store visit › awareness"
    assert "Nobody logged anything here" in shown(shown_stage["blocks"])


async def test_subscribe_and_unsubscribe_a_channel(slack, fake_slack, db, acme):
    reply = await ask(slack, fake_slack, "subscribe Online purchase > decision", channel="C0FEED01")
    assert "<#C0FEED01> now receives the alerts and digests of *Online purchase › decision*" in (
        shown(reply["blocks"])
    )
    async with db() as session:
        channels = await subscription_service.channels_for(
            session,
            workspace_id=acme.workspace.id,
            journey_id=acme.online.id,
            stage_id=acme.stages[2].id,
        )
        elsewhere = await subscription_service.channels_for(
            session,
            workspace_id=acme.workspace.id,
            journey_id=acme.online.id,
            stage_id=acme.stages[0].id,
        )
    assert channels == ["C0FEED01"]
    assert elsewhere == []
    reply = await ask(slack, fake_slack, "unsubscribe", channel="C0FEED01")
    assert "stopped 1 subscription" in shown(reply["blocks"])


async def test_subscribe_to_an_unknown_journey(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "subscribe Nope")
    assert "No journey is called “Nope”" in shown(reply["blocks"])


async def test_subscribe_from_a_direct_message_is_refused(slack, fake_slack, acme):
    reply = await ask(slack, fake_slack, "subscribe Online purchase", channel="D0001DM")
    assert "not a direct message" in shown(reply["blocks"])


async def test_an_ambiguous_journey_name_lists_the_journeys(slack, fake_slack, db, acme):
    async with db.begin() as session:
        await make_journey(session, acme.workspace, "Online returns")
    reply = await ask(slack, fake_slack, "map online")
    assert "“online” could be several journeys: Online purchase, Online returns" in shown(
        reply["blocks"]
    )
    reply = await ask(slack, fake_slack, "subscribe online")
    assert "could be several journeys" in shown(reply["blocks"])


async def test_quick_log_a_touchpoint_name_of_several_words_without_quotes(
    slack, fake_slack, db, on_support
):
    await ask(slack, fake_slack, "log Product Page Reviews are hard to find")
    [observation] = await observations(db)
    assert observation.touchpoint_id == on_support.product_page.id
    assert observation.text == "Reviews are hard to find"


@pytest.mark.parametrize(
    "text",
    [
        "log product-page customers\u0000 leave",
        "log product-page\u0000 customers leave",
        "log checkout customers\u0000 abandon the cart",
        "log product-page customers leave #frustr\u0000ation",
    ],
)
async def test_a_quick_log_with_text_postgresql_cannot_store_answers_privately_and_stores_nothing(
    slack, fake_slack, db, caplog, on_support, text
):
    reply = await ask(slack, fake_slack, text)
    assert reply["response_type"] == "ephemeral"
    assert "cannot be stored" in shown(reply["blocks"])
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await observations(db) == []


@pytest.mark.parametrize(
    "text",
    [
        "map Online\u0000purchase",
        "stage deci\u0000sion",
        "team Sup\u0000port",
        "subscribe Online purchase > deci\u0000sion",
        "unsubscribe Online\u0000",
        "metrics Online\u0000purchase",
        "alerts Online\u0000purchase",
        "alerts add Online purchase > \u0000",
        "alerts remove \u0000",
        'log "prod\u0000uct page" Reviews are hidden',
        "log prod\u0000uct-page Reviews are hidden",
        "he\u0000lp",
    ],
)
async def test_any_command_with_a_nul_character_is_answered_privately(
    slack, fake_slack, db, caplog, on_support, text
):
    reply = await ask(slack, fake_slack, text)
    assert reply["response_type"] == "ephemeral"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await observations(db) == []


async def test_a_quick_log_like_an_earlier_one_offers_a_plus_one_that_counts_it_once(
    slack, fake_slack, db, on_support
):
    async with db.begin() as session:
        earlier = await make_observation(
            session, touchpoint=on_support.product_page, team=on_support.marketing, author_id="UF"
        )
    reply = await ask(
        slack, fake_slack, "log product-page Shipping costs shown too late at checkout <!channel>"
    )
    text = shown(reply["blocks"])
    assert "Same as one of these?" in text
    assert "customers abandon checkout when shipping costs appear" in text
    [offer] = [b for b in reply["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert "<!channel>" not in json.dumps(reply["blocks"])

    for _ in range(2):  # a double click
        response = await slack.settled(
            slack.interaction(block_action(offer["accessory"], slack.response_url))
        )
        assert response.status_code == 200

    assert [o.id for o in await observations(db)] == [earlier.id]
    confirmations = fake_slack.calls_to("response_url")
    assert all(c["replace_original"] for c in confirmations)
    assert "raised 2 times by 2 teams" in shown(confirmations[-1]["blocks"])
    async with db() as session:
        mentions = await mention_service.of_observations(
            session, workspace_id=on_support.workspace.id, observation_ids=[earlier.id]
        )
    assert [(m.author_id, m.author_team_id) for m in mentions[earlier.id]] == [
        (USER, on_support.support.id)
    ]


async def test_a_quick_log_unlike_any_other_offers_nothing(slack, fake_slack, db, on_support):
    async with db.begin() as session:
        await make_observation(session, touchpoint=on_support.product_page)
    reply = await ask(slack, fake_slack, "log product-page The coupon box confuses people")
    assert "Same as" not in shown(reply["blocks"])
    assert len(await observations(db)) == 2


async def test_stage_says_how_often_an_observation_was_raised(slack, fake_slack, db, on_support):
    async with db.begin() as session:
        raised = await make_observation(session, touchpoint=on_support.checkout, text="too late")
        await make_observation(session, touchpoint=on_support.checkout, text="coupon field")
        for person, team in (("U7", on_support.support), ("U8", on_support.marketing)):
            await mention_service.mention(
                session,
                workspace_id=on_support.workspace.id,
                observation_id=raised.id,
                author_id=person,
                author_name=person,
                author_team_id=team.id,
            )
    text = shown((await ask(slack, fake_slack, "stage decision"))["blocks"])
    assert "too late — _raised 3 times by 2 teams_" in text
    assert ">pain point: coupon field\n" in text
