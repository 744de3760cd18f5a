"""While PostgreSQL cannot be reached, /graphql answers 503 with Retry-After and a GraphQL error
in JSON, and recovers by itself once it can. The outage is real: the app talks to the database
through a relay the test cuts."""

import contextlib
import logging

import httpx
import pytest
from sqlalchemy import text

from infrastructure.outage import RETRY_AFTER_SECONDS
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.database_proxy import DatabaseProxy
from tests.support.mutation_inputs import build_world

BACKTEST = """query($rule: ID!) {
  backtestAlertRule(ruleId: $rule, from: "2026-03-01", to: "2026-03-02") { errors { code } }
}"""


@contextlib.asynccontextmanager
async def app_behind(proxy: DatabaseProxy):
    app = create_app(Settings(), database_url=proxy.url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


@pytest.fixture
async def proxy(database_url):
    proxy = DatabaseProxy(database_url)
    await proxy.start()
    yield proxy
    with contextlib.suppress(AssertionError):  # already cut
        await proxy.cut()


async def ask(http, token: str, query: str, variables=None, accept="application/json"):
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", "Accept": accept},
    )


def assert_unavailable(response, media_type: str) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE"}
    assert "retry" in error["message"]


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_graphql_answers_503_while_the_database_is_unreachable(
    proxy, workspace, make_token, accept, caplog
):
    """Issue 10: during a database outage /graphql answered a plain-text 500."""
    token = await make_token(workspace, "read")
    async with app_behind(proxy) as (_, http):
        assert (await ask(http, token, "{ teams { id } }")).status_code == 200

        await proxy.cut()
        with caplog.at_level(logging.WARNING):
            assert_unavailable(await ask(http, token, "{ teams { id } }", accept=accept), accept)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        await proxy.start()
        recovered = await ask(http, token, "{ teams { id } }")
        assert (recovered.status_code, recovered.json()) == (200, {"data": {"teams": []}})


async def test_a_resolver_that_loses_the_database_fails_the_request_with_503(
    proxy, db, workspace, make_token, caplog
):
    """Authenticated, then the database goes away while the operation runs: not "Unexpected
    error." in a 200, but the same 503 as above."""
    world = await build_world(db, workspace)
    token = await make_token(workspace, "read")
    async with app_behind(proxy) as (app, http):

        async def cohorts_lost_midway(session, **_):
            await proxy.cut()
            await session.execute(text("SELECT 1"))
            raise AssertionError("the relay was cut; the query above must fail")

        app.state.runtime.cohorts = cohorts_lost_midway
        with caplog.at_level(logging.WARNING):
            response = await ask(http, token, BACKTEST, {"rule": world.alert_rule})
        assert_unavailable(response, "application/json")
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
