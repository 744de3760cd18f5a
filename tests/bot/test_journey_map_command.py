"""`/journey map` answers with a personal link that signs the asker in to the web map, then
attaches the map's PNG in the channel through files.uploadV2, in both Slack modes (one
workspace's token; OAuth installs); a refused upload or a failed drawing leaves the link
working and says so."""

import re
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from domain.journey_map import picture
from domain.workspace.models import Workspace
from journeyops.web import create_app
from tests.support.factories import install_slack_app, make_member
from tests.support.slack_app import PUBLIC_URL, bot_settings
from tests.support.slack_requests import TEAM_ID, USER, SlackClient, shown

CHANNEL = "C0SUPPORT1"  # where the command is typed (tests/support/slack_requests.py)
LINK = re.compile(r"#sign-in=(jol_[A-Za-z0-9_-]{43})$")


@pytest.fixture(params=["token", "oauth"])
async def mode(request, database_url, fake_slack, db, acme):
    """The app as one workspace's bot (SLACK_BOT_TOKEN) or installed through OAuth, with the
    token it must upload with."""
    fake_slack.reset()
    if request.param == "token":
        settings, token = bot_settings(fake_slack), "xoxb-test"
    else:
        settings = bot_settings(
            fake_slack, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="s"
        )
        token = "xoxb-team-token"
    app = create_app(settings, database_url=database_url)
    if request.param == "oauth":
        await install_slack_app(
            app.state.runtime.engine, client_id="111.222", team_id=TEAM_ID, bot_token=token
        )
        async with db.begin() as session:  # Acme installed the app
            await session.execute(
                update(Workspace)
                .where(Workspace.id == acme.workspace.id)
                .values(slack_team_id=TEAM_ID)
            )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield SlackClient(http, fake_slack.response_url()), http, token
    finally:
        await app.state.runtime.close()


async def test_the_map_comes_with_a_personal_link_and_its_picture(mode, fake_slack, db, acme):
    slack, http, token = mode
    async with db.begin() as session:
        await make_member(session, acme.workspace, USER, acme.support)
    response = await slack.settled(slack.command("map online purchase"))
    assert response.status_code == 200 and response.text == ""  # acknowledged at once

    [reply] = fake_slack.calls_to("response_url")
    assert reply["response_type"] == "ephemeral"  # the link is for the asker's eyes only
    url = reply["blocks"][1]["accessory"]["url"]
    assert url.startswith(f"{PUBLIC_URL}/journeys/{acme.online.id}?days=90#sign-in=")
    assert "do not forward it" in shown(reply["blocks"]) and "may edit" in shown(reply["blocks"])

    # The picture: uploaded in Slack's three steps, with the bot's token, into the channel.
    steps = [
        c.method for c in fake_slack.calls if c.method.startswith("files.") or c.method == "upload"
    ]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert {c.token for c in fake_slack.calls if c.method.startswith("files.")} == {token}
    [file] = fake_slack.shared_files(CHANNEL)
    assert file.content is not None and file.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert file.filename.startswith("online-purchase-") and file.filename.endswith(".png")
    assert file.title == "Online purchase: the last 90 days"
    assert file.alt_txt.startswith("Funnel and emotion curve of Online purchase.")
    assert fake_slack.posted(CHANNEL)[-1]["files"][0]["id"] == file.id

    # The link signs Dana in, once; she is on a team, so she may edit.
    link = LINK.search(url).group(1)
    opened = await http.post("/journeys/sign-in", json={"link": link})
    assert opened.status_code == 200
    assert (opened.json()["name"], opened.json()["scope"]) == ("Dana S.", "WRITE")
    assert (await http.post("/journeys/sign-in", json={"link": link})).status_code == 403
    viewer = await http.post(
        "/graphql",
        json={"query": "{ viewer { tokenName scope } }"},
        headers={"Authorization": f"Bearer {opened.json()['session']}"},
    )
    assert viewer.json()["data"]["viewer"] == {"tokenName": "Dana S.", "scope": "WRITE"}
    assert urlsplit(url).path == f"/journeys/{acme.online.id}"


async def test_someone_on_no_team_gets_a_read_only_link(mode, fake_slack, acme):
    slack, http, _ = mode
    await slack.settled(slack.command("map online purchase"))
    [reply] = fake_slack.calls_to("response_url")
    assert "you may read it" in shown(reply["blocks"])
    link = LINK.search(reply["blocks"][1]["accessory"]["url"]).group(1)
    opened = await http.post("/journeys/sign-in", json={"link": link})
    assert opened.json()["scope"] == "READ"


async def test_without_files_write_the_link_still_comes_and_the_person_is_told(
    slack, fake_slack, acme
):
    fake_slack.fail("files.getUploadURLExternal", error="missing_scope")
    await slack.settled(slack.command("map online purchase"))
    link_reply, told = fake_slack.calls_to("response_url")
    assert LINK.search(link_reply["blocks"][1]["accessory"]["url"])
    assert told["response_type"] == "ephemeral"
    assert "picture could not be attached" in told["text"]
    assert "files:write" in told["text"] and "The link above still works" in told["text"]
    assert fake_slack.files == {} and fake_slack.calls_to("files.completeUploadExternal") == []


async def test_an_unknown_journey_gets_no_link_and_no_picture(slack, fake_slack, acme):
    await slack.settled(slack.command("map nonexistent"))
    [reply] = fake_slack.calls_to("response_url")
    assert "No journey is called “nonexistent”" in shown(reply["blocks"])
    assert fake_slack.calls_to("files.getUploadURLExternal") == []


async def test_when_the_picture_cannot_be_drawn_the_link_still_comes_and_the_person_is_told(
    slack, fake_slack, acme, monkeypatch
):
    monkeypatch.setattr(picture, "spec", lambda journey_map: {"mark": "no such mark"})
    await slack.settled(slack.command("map online purchase"))
    link_reply, told = fake_slack.calls_to("response_url")
    assert LINK.search(link_reply["blocks"][1]["accessory"]["url"])
    assert told["response_type"] == "ephemeral"
    assert "picture could not be drawn" in told["text"]
    assert not [c for c in fake_slack.calls if c.method.startswith("files.")]
