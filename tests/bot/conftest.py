from dataclasses import dataclass

import httpx
import pytest

from bot.local_slack import LocalSlack
from domain.journey.models import Journey
from domain.stage.models import Stage
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.workspace.models import Workspace
from journeyops.settings import Settings
from journeyops.web import create_app
from tests.support.factories import make_journey, make_member, make_team, make_touchpoint, stages_of
from tests.support.slack_requests import SIGNING_SECRET, SlackClient

PUBLIC_URL = "https://journeyops.example"
USER = "U0001"


@pytest.fixture(scope="session")
async def fake_slack():
    fake = LocalSlack()
    await fake.start()
    yield fake
    await fake.stop()


def bot_settings(fake_slack: LocalSlack, **overrides) -> Settings:
    values = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake_slack.api_url,
        "JOURNEYOPS_PUBLIC_URL": PUBLIC_URL,
        "slack_client_id": None,
        "slack_client_secret": None,
    }
    return Settings(_env_file=None, **{**values, **overrides})


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


@dataclass
class Acme:
    """One workspace with two journeys that both have a touchpoint called Checkout."""

    workspace: Workspace
    support: Team
    marketing: Team
    online: Journey
    stages: list[Stage]
    checkout: Touchpoint
    product_page: Touchpoint
    store: Journey
    store_checkout: Touchpoint


@pytest.fixture
async def acme(db) -> Acme:
    from tests.support.factories import make_workspace

    async with db.begin() as session:
        workspace = await make_workspace(session, "acme")
        support = await make_team(session, workspace, "Support")
        marketing = await make_team(session, workspace, "Marketing")
        online = await make_journey(session, workspace, "Online purchase")
        stages = await stages_of(session, online)
        checkout = await make_touchpoint(
            session, stages[2], "Checkout", key="checkout", owner=support
        )
        product_page = await make_touchpoint(
            session, stages[1], "Product page", key="product-page", owner=marketing
        )
        store = await make_journey(
            session, workspace, "Store visit", stages=("awareness", "purchase")
        )
        store_stages = await stages_of(session, store)
        store_checkout = await make_touchpoint(session, store_stages[1], "Checkout", key="till")
    return Acme(
        workspace, support, marketing, online, stages, checkout, product_page, store, store_checkout
    )


@pytest.fixture
async def on_support(db, acme) -> Acme:
    """Acme, with the test user (U0001) on the Support team."""
    async with db.begin() as session:
        await make_member(session, acme.workspace, USER, acme.support)
    return acme
