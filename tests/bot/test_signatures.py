"""Only requests signed with the app's signing secret, and fresh, get through."""

import time

import httpx

from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.slack_requests import command_body


async def test_a_signed_command_is_answered(slack, fake_slack, acme):
    response = await slack.command("help")
    assert response.status_code == 200
    await fake_slack.wait_for("response_url")


async def test_a_forged_signature_is_refused(slack, fake_slack, acme):
    body = command_body("help", response_url=fake_slack.response_url())
    response = await slack.post(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert response.status_code == 401
    assert fake_slack.calls == []


async def test_a_request_older_than_five_minutes_is_refused(slack, fake_slack, acme):
    body = command_body("help", response_url=fake_slack.response_url())
    response = await slack.post(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
    )
    assert response.status_code == 401


async def test_a_body_changed_after_signing_is_refused(slack, fake_slack, acme):
    from tests.support.slack_requests import signed_headers

    body = command_body("help", response_url=fake_slack.response_url())
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    response = await slack.http.post(
        "/slack/events", content=body.replace("help", "map"), headers=headers
    )
    assert response.status_code == 401


async def test_without_slack_settings_the_endpoints_say_what_to_configure(database_url):
    app = create_app(
        Settings(_env_file=None, slack_bot_token=None, slack_signing_secret=None),
        database_url=database_url,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/slack/events", content="x")
    await app.state.runtime.close()
    assert response.status_code == 503
    assert "SLACK_SIGNING_SECRET" in response.text


async def test_an_oversized_body_is_refused_before_reading_it(slack, acme):
    body = "payload=" + "x" * 1_000_001
    response = await slack.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
