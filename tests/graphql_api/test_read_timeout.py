"""A metrics read that runs past the time the process allows its readers
(`JOURNEYOPS_READ_TIMEOUT_SECONDS`) is stopped, and the client is told in words what to ask
for instead; the next read, with nothing in its way, answers."""

import httpx
import pytest
from sqlalchemy import text

from graphql_api import ids
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support import factories
from tests.support.graphql_client import GraphQLClient

METRICS = """
query($id: ID!) {
  journey(id: $id) { stageMetrics(from: "2026-03-01", to: "2026-03-31") { stages { entered } } }
}
"""


@pytest.fixture
async def gql(db, database_url, workspace, make_token):
    app = create_app(Settings(JOURNEYOPS_READ_TIMEOUT_SECONDS=0.5), database_url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, await make_token(workspace, "write"))


async def test_a_read_held_up_past_the_limit_is_stopped_and_explained(gql, db, engine, workspace):
    async with db.begin() as session:
        journey = await factories.make_journey(session, workspace)
    variables = {"id": ids.encode("Journey", journey.id)}
    async with engine.connect() as blocker:  # the rollups held, as a long migration would
        await blocker.execute(text("LOCK TABLE stage_day IN ACCESS EXCLUSIVE MODE"))
        body = await gql.run(METRICS, variables)
        await blocker.rollback()
    assert body["data"] == {"journey": None}
    [error] = body["errors"]
    assert error["message"].startswith("Reading these figures took too long and was stopped.")
    assert error["extensions"]["code"] == "TOO_SLOW"
    again = await gql.run(METRICS, variables)
    assert [s["entered"] for s in again["data"]["journey"]["stageMetrics"]["stages"]] == [0] * 5
