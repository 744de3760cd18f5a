"""`journeyHeadlines` and `journeyTemplates`: what the list of journeys shows and what a new
journey starts from."""

import httpx
import pytest

from domain.journey.templates import TEMPLATES
from tests.support import factories
from tests.support.graphql_client import GraphQLClient
from tests.support.journey_map_world import build_map_world

HEADLINES = """
query($days: Int) {
  journeyHeadlines(days: $days) {
    journey { name stages { name } } from to entered completed conversionRate openAlerts
  }
}
"""


@pytest.fixture
async def world(db):
    async with db.begin() as session:
        world = await build_map_world(session, customers=40)
        await factories.make_journey(session, world.workspace, name="Empty", stages=())
        return world


@pytest.fixture
async def gql(app, world, make_token):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, await make_token(world.workspace, "read"))


async def test_each_journey_with_its_entering_customers_conversion_and_open_alerts(gql, world):
    found = (await gql.data(HEADLINES, {"days": 30}))["journeyHeadlines"]

    assert [h["journey"]["name"] for h in found] == ["Empty", "Online purchase"]
    empty, purchase = found
    # build_map_world: every shopper looks; those who are no bargain hunters (or one in nine
    # of them) reach the cart, and three in four of those buy.
    bought = [n for n in range(40) if (n % 3 or n % 9 == 0) and n % 4]
    assert purchase["entered"] == 40
    assert purchase["completed"] == len(bought)
    assert purchase["conversionRate"] == pytest.approx(len(bought) / 40)
    assert purchase["openAlerts"] == 1
    assert empty == {
        "journey": {"name": "Empty", "stages": []},
        "from": purchase["from"],
        "to": purchase["to"],
        "entered": 0,
        "completed": 0,
        "conversionRate": None,
        "openAlerts": 0,
    }


async def test_a_shorter_period_counts_only_its_customers(gql):
    # The world's shoppers entered over the last thirteen days, evenly.
    week = (await gql.data(HEADLINES, {"days": 7}))["journeyHeadlines"][1]
    assert 0 < week["entered"] < 40


async def test_a_period_out_of_range_is_refused_naming_days(gql):
    body = await gql.run(HEADLINES, {"days": 0})
    assert body["errors"][0]["extensions"]["field"] == "days"


async def test_the_templates_are_the_domains_with_their_stages(gql):
    found = (await gql.data("{ journeyTemplates { name stages { name expectedEmotion } } }"))[
        "journeyTemplates"
    ]
    assert [t["name"] for t in found] == [t.name for t in TEMPLATES]
    purchase = found[0]
    assert [s["name"] for s in purchase["stages"]] == [
        "Awareness",
        "Consideration",
        "Decision",
        "Retention",
        "Advocacy",
    ]
    assert purchase["stages"][1]["expectedEmotion"] == "HOPE"
