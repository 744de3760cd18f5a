"""User text reaches Slack escaped everywhere a person reads it: blocks, the notification text of
every reply and message, and text cut to Slack's limits (never half an `&lt;`)."""

import pytest
from sqlalchemy import select

from bot import blocks
from bot.alert_message import AlertView, render
from bot.text import SECTION_MAX, escape, shorten_mrkdwn
from domain.journey import service as journey_service
from domain.touchpoint.models import Touchpoint
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_observation,
    make_touchpoint,
    make_workspace,
    stages_of,
)
from tests.support.slack_payloads import view_submission

NAME = "<!channel> alert"
TYPED = "&lt;!channel&gt; alert"  # how Slack sends what was typed in a slash command


@pytest.fixture
async def hostile(db, on_support):
    """The Online purchase journey renamed to `<!channel> alert`, with a touchpoint named so."""
    async with db.begin() as session:
        await journey_service.update(
            session,
            workspace_id=on_support.workspace.id,
            journey_id=on_support.online.id,
            name=NAME,
        )
        stages = await stages_of(session, on_support.online)
        await make_touchpoint(session, stages[0], "<!here> ad <@U0BOSS>", key="ad")
    return on_support


def mrkdwn_in(node: object) -> list[str]:
    """Every string Slack reads as mrkdwn: the top-level `text` and every text object but
    plain_text ones (which Slack shows as they are: no mention, no link)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str) and node.get("type") != "plain_text":
                found.append(value)
            else:
                found += mrkdwn_in(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_in(item)
    return found


def leaks(params: dict) -> list[str]:
    shown = "\n".join(mrkdwn_in(params))
    return [token for token in ("<!channel>", "<!here>", "<@U0BOSS>") if token in shown]


@pytest.mark.parametrize(
    "command",
    [
        f"metrics {TYPED} > awareness",
        f"map {TYPED}",
        "stage awareness",
        f"alerts add {TYPED} > awareness",
        f"alerts {TYPED}",
        f"subscribe {TYPED}",
        "map &lt;!here&gt; nothing like it",
        "log &lt;!here&gt;-nothing Costs appear late",
        "log ad Customers click &lt;!channel&gt; a lot",
        "team &lt;!channel&gt;",
        "&lt;!channel&gt;",
    ],
)
async def test_no_reply_text_or_block_pings_anyone(slack, fake_slack, hostile, command):
    await slack.settled(slack.command(command))
    [reply] = fake_slack.calls_to("response_url")
    assert reply["text"]
    assert leaks(reply.params) == []


async def test_public_metrics_of_a_journey_named_like_a_mention_ping_nobody(slack, fake_slack, db):
    async with db.begin() as session:
        workspace = await make_workspace(session, "solo")
        await make_journey(session, workspace, NAME)
    await slack.settled(slack.command("metrics public"))
    [reply] = fake_slack.calls_to("response_url")
    assert reply["response_type"] == "in_channel"
    assert reply["text"] == "Stage metrics of &lt;!channel&gt; alert"
    assert leaks(reply.params) == []


async def test_the_modal_confirmation_text_is_escaped(slack, fake_slack, db, hostile):
    await slack.settled(slack.command("log"))
    [opened] = fake_slack.calls_to("views.open")
    fake_slack.calls.clear()
    async with db() as session:
        touchpoint = await session.scalar(select(Touchpoint).where(Touchpoint.key == "ad"))
    chosen = {"touchpoint": str(touchpoint.id), "kind": "insight", "text": "<!channel> seen"}
    await slack.settled(slack.interaction(view_submission(opened["view"], chosen)))
    [confirmation] = fake_slack.calls_to("chat.postEphemeral")
    assert confirmation["text"].startswith("Logged at ")
    assert leaks(confirmation.params) == []


@pytest.mark.parametrize("cut", range(SECTION_MAX - 8, SECTION_MAX + 1))
def test_a_section_cut_at_the_limit_never_splits_an_entity(cut):
    text = "x" * cut + escape("<&>" * 10)
    section = blocks.section(text).to_dict()["text"]["text"]
    assert len(section) <= SECTION_MAX
    assert section.endswith("…")
    kept = section.removesuffix("…")
    assert kept.replace("&lt;", "").replace("&amp;", "").replace("&gt;", "").count("&") == 0


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ab &amp; cd", 6, "ab…"),
        ("ab &amp; cd", 9, "ab &amp;…"),
        ("see <@U0001> now", 8, "see…"),
        ("see <https://x.example|a link> now", 20, "see…"),
        ("short", 10, "short"),
    ],
)
def test_shortening_mrkdwn_keeps_entities_and_links_whole(text, limit, expected):
    assert shorten_mrkdwn(text, limit) == expected


async def test_an_alert_message_cut_to_the_section_limit_never_splits_an_entity(db, acme):
    async with db.begin() as session:
        for _ in range(3):
            await make_observation(session, stage=acme.stages[1], text="<&>" * 100)
        rule = await make_alert_rule(session, acme.online, acme.stages[1])
        alert = await make_alert(session, rule, acme.stages[1])
    _, shown = render(AlertView(alert, "Online purchase", "consideration", "https://jo.example"))
    sections = [b["text"]["text"] for b in shown if b["type"] == "section"]
    cut = [text for text in sections if text.endswith("…")]
    assert cut and all(len(text) <= SECTION_MAX for text in sections)
    for text in cut:
        kept = text.removesuffix("…")
        assert kept.replace("&lt;", "").replace("&amp;", "").replace("&gt;", "").count("&") == 0
