"""A Slack team maps to one JourneyOps workspace; OAuth installs are kept in PostgreSQL."""

import asyncio

import httpx
from sqlalchemy import select, text

from domain.workspace.models import Workspace
from journeyops.web import create_app
from tests.support.factories import install_slack_app, make_workspace
from tests.support.slack_app import bot_settings
from tests.support.slack_requests import TEAM_ID, shown


async def test_the_first_request_links_the_only_workspace(slack, fake_slack, db, acme):
    await slack.command("help")
    await fake_slack.wait_for("response_url")
    async with db() as session:
        workspace = await session.get(Workspace, acme.workspace.id)
    assert workspace is not None and workspace.slack_team_id == TEAM_ID


async def test_a_fresh_install_gets_a_workspace(slack, fake_slack, db):
    await slack.command("help")
    await fake_slack.wait_for("response_url")
    async with db() as session:
        [workspace] = await session.scalars(select(Workspace))
    assert workspace.slack_team_id == TEAM_ID


async def test_with_several_unlinked_workspaces_the_bot_says_how_to_link(slack, fake_slack, db):
    async with db.begin() as session:
        await make_workspace(session, "acme")
        await make_workspace(session, "globex")
    response = await slack.command("help")
    assert response.status_code == 200
    assert "journeyops slack-link --workspace" in response.text
    assert f"--team {TEAM_ID}" in response.text
    assert fake_slack.calls_to("response_url") == []


async def test_each_workspace_sees_only_its_own_journeys(slack, fake_slack, db, acme):
    async with db.begin() as session:
        other = await make_workspace(session, "globex")
        other.slack_team_id = TEAM_ID
        acme.workspace.slack_team_id = None
        session.add(other)
    response = await slack.command("map Online purchase")
    assert response.status_code == 200
    [reply] = await fake_slack.wait_for("response_url")
    assert "No journey is called “Online purchase”" in shown(reply["blocks"])


async def test_oauth_install_stores_state_and_the_installation(database_url, fake_slack, db):
    settings = bot_settings(
        fake_slack, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    app = create_app(settings, database_url=database_url)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page = await http.get("/slack/install")
            assert page.status_code == 200
            assert "client_id=111.222" in page.text
            async with db() as session:
                state = await session.scalar(text("SELECT state FROM slack_oauth_states"))
            assert state and f"state={state}" in page.text
            http.cookies.set("slack-app-oauth-state", state)
            callback = await http.get(
                "/slack/oauth_redirect", params={"code": "the-code", "state": state}
            )
            assert callback.status_code == 200, callback.text
    finally:
        await app.state.runtime.close()
    async with db() as session:
        row = (
            await session.execute(text("SELECT team_id, bot_token FROM slack_installations"))
        ).one()
    assert row == ("T0002", "xoxb-installed")
    [exchange] = fake_slack.calls_to("oauth.v2.access")
    assert exchange["code"] == "the-code"


async def test_oauth_mode_answers_installed_teams_with_their_own_token(
    database_url, fake_slack, db, acme
):
    settings = bot_settings(fake_slack, slack_client_id="111.222", slack_client_secret="shh")
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
            from tests.support.slack_requests import SlackClient

            slack = SlackClient(http, fake_slack.response_url())
            response = await slack.command("log", trigger_id="trigger.oauth")
            assert response.status_code == 200
            [opened] = await fake_slack.wait_for("views.open")
    finally:
        await app.state.runtime.close()
    assert opened["trigger_id"] == "trigger.oauth"
    assert opened.token == "xoxb-team-token"
    # A team installing through OAuth gets a workspace of its own, never an existing one.
    async with db() as session:
        workspace = await session.scalar(
            select(Workspace).where(Workspace.slack_team_id == TEAM_ID)
        )
    assert workspace is not None and workspace.name == "acme (T0001)"


async def test_uninstalling_deletes_the_teams_tokens(database_url, fake_slack, db):
    from tests.support.slack_requests import SlackClient

    settings = bot_settings(fake_slack, slack_client_id="111.222", slack_client_secret="shh")
    app = create_app(settings, database_url=database_url)
    store = await install_slack_app(
        app.state.runtime.engine, client_id="111.222", team_id=TEAM_ID, bot_token="xoxb-t"
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await SlackClient(http, fake_slack.response_url()).event(
                {"type": "app_uninstalled", "event_ts": "1700000009.000100"}
            )
            assert response.status_code == 200
            for _ in range(100):
                if await store.async_find_bot(enterprise_id=None, team_id=TEAM_ID) is None:
                    break
                await asyncio.sleep(0.02)
    finally:
        await app.state.runtime.close()
    async with db() as session:
        left = await session.scalar(text("SELECT count(*) FROM slack_bots"))
        workspaces = await session.scalar(text("SELECT count(*) FROM workspace"))
    assert left == 0
    assert workspaces == 0  # the team that left was not given a workspace on its way out


async def test_single_workspace_uninstall_and_revocation_are_acknowledged_and_explained(
    slack, fake_slack, db, caplog
):
    async with db.begin() as session:  # two unlinked workspaces: nobody to link the team to
        await make_workspace(session, "acme")
        await make_workspace(session, "globex")
    events = [
        {"type": "app_uninstalled", "event_ts": "1700000009.000100"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}, "event_ts": "1700000009.000200"},
    ]
    for event in events:
        response = await slack.settled(slack.event(event))
        assert response.status_code == 200, response.text
    told = [r.getMessage() for r in caplog.records if "SLACK_BOT_TOKEN" in r.getMessage()]
    assert len(told) == 2
    assert all("reinstall" in message.lower() and "queued" in message for message in told)
    assert fake_slack.calls == []
    async with db() as session:
        linked = await session.scalar(select(Workspace).where(Workspace.slack_team_id == TEAM_ID))
    assert linked is None
