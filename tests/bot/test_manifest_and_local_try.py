"""The Slack app manifest matches the code, and the bot can be tried without Slack."""

from pathlib import Path

import yaml
from sqlalchemy import select

from bot.app import BOT_SCOPES
from bot.ids import CallbackId
from bot.local_slack import readable, try_command
from domain.observation.models import Observation
from tests.support.factories import make_member
from tests.support.slack_app import bot_settings

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "manifest.yml"


def test_the_manifest_matches_the_code():
    manifest = yaml.safe_load(MANIFEST.read_text())
    features, settings = manifest["features"], manifest["settings"]
    [command] = features["slash_commands"]
    assert command["command"] == "/journey"
    assert [s["callback_id"] for s in features["shortcuts"]] == [CallbackId.LOG_SHORTCUT]
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert features["app_home"]["home_tab_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


async def test_slack_try_runs_a_command_through_the_real_bot(database_url, fake_slack, acme):
    settings = bot_settings(fake_slack, database_url=database_url)
    answer, calls = await try_command(settings, "map Online purchase", user="U0LOCAL")
    assert answer == ""
    [reply] = [call for call in calls if call.method == "response_url"]
    assert "Checkout (`checkout`) — Support" in readable(reply["blocks"])


async def test_slack_try_logs_under_the_display_name_the_local_slack_gives(
    database_url, fake_slack, db, acme
):
    async with db.begin() as session:
        await make_member(session, acme.workspace, "U0LOCAL", acme.support)
    settings = bot_settings(fake_slack, database_url=database_url)
    text = "log product-page The coupon box hides the pay button #frustration"
    _, calls = await try_command(settings, text, user="U0LOCAL")
    assert [call.method for call in calls] == ["users.info", "response_url"]
    assert "Logged" in readable(calls[-1]["blocks"])
    async with db() as session:
        [observation] = list(await session.scalars(select(Observation)))
    assert (observation.author_id, observation.author_name) == ("U0LOCAL", "Dana S.")
