"""While the database is unreachable, Slack is asked to retry (503 with Retry-After) rather
than answered with a 500; once it is back, commands are answered again."""

import httpx

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
