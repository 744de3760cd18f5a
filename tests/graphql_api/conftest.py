"""An app on the test database, served in-process, and a client that speaks GraphQL to it."""

import httpx
import pytest

from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support import factories
from tests.support.graphql_client import GraphQLClient
from tests.support.graphql_data import Seeded, seed
from tests.support.live_servers import serving
from tests.support.mutation_inputs import World, build_world


@pytest.fixture
async def app(db, database_url):
    app = create_app(Settings(), database_url=database_url)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def workspace(db):
    async with db.begin() as session:
        return await factories.make_workspace(session)


@pytest.fixture
def make_token(db):
    """make_token(workspace, scope) → a token secret."""

    async def make(workspace, scope: str = "write") -> str:
        async with db.begin() as session:
            return await factories.make_token(session, workspace, scope)

    return make


@pytest.fixture
async def gql(app, workspace, make_token):
    """A client holding a write token for `workspace`."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, await make_token(workspace, "write"))


@pytest.fixture
async def other_workspace(db):
    async with db.begin() as session:
        return await factories.make_workspace(session)


@pytest.fixture
async def seeded(db, workspace) -> Seeded:
    return await seed(db, workspace)


@pytest.fixture
async def world(db, workspace) -> World:
    """One of everything a mutation can point at, in `workspace`."""
    return await build_world(db, workspace)


@pytest.fixture
async def servers(db, database_url):
    """Two real servers on the test database, sharing nothing else."""
    async with serving(database_url) as a, serving(database_url) as b:
        yield a, b
