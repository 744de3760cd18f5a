"""An acknowledgement never waits on a Web API call: authorizing a request reads the token
from configuration (one workspace) or the installation store (OAuth), never `auth.test`."""

import httpx

from journeyops.web import create_app
from tests.support.factories import install_slack_app
from tests.support.slack_app import bot_settings
from tests.support.slack_requests import TEAM_ID, SlackClient


async def test_a_command_is_acknowledged_while_auth_test_fails(slack, fake_slack, acme):
    fake_slack.fail("auth.test", status=500, times=1000)
    response = await slack.command("help")
    assert response.status_code == 200
    # Acknowledged without a single call to auth.test (it used to wait through its retries).
    assert fake_slack.calls_to("auth.test") == []
    [reply] = await fake_slack.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"


async def test_the_listener_sends_with_the_configured_token(slack, fake_slack, acme):
    fake_slack.fail("auth.test", status=500, times=1000)
    await slack.settled(slack.command("log", trigger_id="trigger.token"))
    [opened] = fake_slack.calls_to("views.open")
    assert opened.token == "xoxb-test"
    assert fake_slack.calls_to("auth.test") == []


async def test_oauth_mode_acknowledges_from_the_installation_store_alone(
    database_url, fake_slack, db, acme
):
    fake_slack.reset()
    fake_slack.fail("auth.test", status=500, times=1000)
    settings = bot_settings(
        fake_slack, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    app = create_app(settings, database_url=database_url)
    await install_slack_app(
        app.state.runtime.engine,
        client_id="111.222",
        team_id=TEAM_ID,
        bot_token="xoxb-team-token",
        bot_user_id="UBOT",
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            slack = SlackClient(http, fake_slack.response_url())
            response = await slack.settled(slack.command("log", trigger_id="trigger.oauth"))
            assert response.status_code == 200
    finally:
        await app.state.runtime.close()
    assert fake_slack.calls_to("auth.test") == []
    [opened] = fake_slack.calls_to("views.open")
    assert opened.token == "xoxb-team-token"


async def test_oauth_mode_tells_a_team_without_an_installation_to_install(
    database_url, fake_slack, db, acme
):
    fake_slack.reset()
    settings = bot_settings(
        fake_slack, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    app = create_app(settings, database_url=database_url)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            slack = SlackClient(http, fake_slack.response_url())
            response = await slack.settled(slack.command("help"))
    finally:
        await app.state.runtime.close()
    assert response.status_code == 200
    assert fake_slack.calls_to("auth.test") == []
    [reply] = fake_slack.calls_to("response_url")
    assert "install" in reply["text"].lower()
