import httpx
import pytest

from bot.local_slack import LocalSlack
from journeyops.web import create_app
from tests.support.factories import make_member
from tests.support.slack_app import Acme, bot_settings, make_acme
from tests.support.slack_requests import USER, SlackClient


@pytest.fixture(scope="session")
async def fake_slack():
    fake = LocalSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack_app(database_url, fake_slack):
    """A fresh app per test: the bot remembers Slack team → workspace links in memory."""
    app = create_app(bot_settings(fake_slack), database_url=database_url)
    yield app
    await app.state.runtime.close()


@pytest.fixture
async def slack(slack_app, fake_slack, db):
    fake_slack.reset()
    transport = httpx.ASGITransport(app=slack_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield SlackClient(http, fake_slack.response_url())


@pytest.fixture
async def acme(db) -> Acme:
    async with db.begin() as session:
        return await make_acme(session)


@pytest.fixture
async def on_support(db, acme) -> Acme:
    """Acme, with the test user (U0001) on the Support team."""
    async with db.begin() as session:
        await make_member(session, acme.workspace, USER, acme.support)
    return acme
