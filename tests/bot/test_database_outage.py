"""While the database is unreachable, Slack is asked to retry (503 with Retry-After) rather
than answered with a 500; once it is back, commands are answered again."""

import logging

import httpx
from slack_bolt import BoltResponse
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.listener.async_listener_error_handler import AsyncCustomListenerErrorHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.app import unhandled_or_failed
from journeyops.web import create_app
from tests.support.database_proxy import DatabaseProxy
from tests.support.slack_app import bot_settings
from tests.support.slack_requests import SlackClient


async def test_a_command_during_a_database_outage_asks_slack_to_retry(
    database_url, fake_slack, acme
):
    async with DatabaseProxy(database_url) as proxy:
        app = create_app(bot_settings(fake_slack), database_url=proxy.url)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                slack = SlackClient(http, fake_slack.response_url())
                await proxy.cut()
                refused = await slack.command("help")
                assert refused.status_code == 503
                assert refused.headers["retry-after"] == "5"
                await proxy.start()
                assert (await slack.command("help")).status_code == 200
        finally:
            await app.state.runtime.close()


async def test_losing_the_database_after_the_acknowledgement_tells_the_person(fake_slack):
    """Slack has its 200 and will not retry, so the error handler has no response to make a
    503 of (bolt passes none): the person is told privately to try again instead."""
    fake_slack.reset()
    request = AsyncBoltRequest(body="command=%2Fjourney&text=stage+decision", mode="http")
    request.context["respond"] = AsyncRespond(response_url=fake_slack.response_url())
    handler = AsyncCustomListenerErrorHandler(logging.getLogger("test"), unhandled_or_failed)

    await handler.handle(error=PoolTimeout("no connection free"), request=request, response=None)

    (told,) = fake_slack.calls_to("response_url")
    assert told["response_type"] == "ephemeral"
    assert "cannot reach its database" in told["text"]


async def test_losing_the_database_before_the_acknowledgement_asks_slack_to_retry(fake_slack):
    fake_slack.reset()
    request = AsyncBoltRequest(body="command=%2Fjourney&text=help", mode="http")
    request.context["respond"] = AsyncRespond(response_url=fake_slack.response_url())
    handler = AsyncCustomListenerErrorHandler(logging.getLogger("test"), unhandled_or_failed)
    response = BoltResponse(status=500)

    await handler.handle(
        error=PoolTimeout("no connection free"), request=request, response=response
    )

    assert (response.status, response.headers["retry-after"]) == (503, ["5"])
    assert not fake_slack.calls_to("response_url")
