"""The app as the Slack tests run it: settings that point it at the local Slack, and Acme, the
workspace its people act in."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.local_slack import LocalSlack
from domain.journey.models import Journey
from domain.stage.models import Stage
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.workspace.models import Workspace
from infrastructure.settings import Settings
from tests.support.factories import (
    make_journey,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)
from tests.support.slack_requests import SIGNING_SECRET

PUBLIC_URL = "https://journeyops.example"


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


async def make_acme(session: AsyncSession) -> Acme:
    workspace = await make_workspace(session, "acme")
    support = await make_team(session, workspace, "Support")
    marketing = await make_team(session, workspace, "Marketing")
    online = await make_journey(session, workspace, "Online purchase")
    stages = await stages_of(session, online)
    checkout = await make_touchpoint(session, stages[2], "Checkout", key="checkout", owner=support)
    product_page = await make_touchpoint(
        session, stages[1], "Product page", key="product-page", owner=marketing
    )
    store = await make_journey(session, workspace, "Store visit", stages=("awareness", "purchase"))
    store_stages = await stages_of(session, store)
    store_checkout = await make_touchpoint(session, store_stages[1], "Checkout", key="till")
    return Acme(
        workspace, support, marketing, online, stages, checkout, product_page, store, store_checkout
    )
