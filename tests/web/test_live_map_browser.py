"""The map kept up to date in a real browser: Playwright stands between the page and the
server's websocket (so the test can cut it) and drives the page's clock (so the page's waits
pass when the test says, not by sleeping). After a reconnect the page fetches what it missed;
a token revoked meanwhile stops the retries, and the page says so; figures follow the events
ingested while it is open, on the server's notice."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.auth import service as auth_service
from domain.live import Topic
from tests.support import factories
from tests.support.browser import map_loaded, needs_chromium, open_page
from tests.support.graphql_client import GraphQLClient
from tests.support.graphql_data import gid
from tests.support.journey_map_world import build_map_world
from tests.support.live_servers import serving
from tests.support.waiting import eventually

pytestmark = needs_chromium

GOING_AWAY = 1001  # the server or a proxy went away: the page should try again


@pytest.fixture
async def world(db):
    async with db.begin() as session:
        world = await build_map_world(session, customers=20)
        world.token = await factories.make_token(session, world.workspace, "write")
        return world


class Relay:
    """Every websocket the page opens to /graphql, passed through to the server."""

    def __init__(self) -> None:
        self.opened: list = []  # (the page's side, the server's side) of each
        self.unreachable = False  # new connections hang, never answered, as a dead proxy does

    def __call__(self, socket) -> None:
        self.opened.append((socket, None if self.unreachable else socket.connect_to_server()))

    async def cut(self) -> None:
        """Drop the newest connection at both ends, as a lost network does."""
        page_side, server_side = self.opened[-1]
        await server_side.close(code=GOING_AWAY, reason="test")
        await page_side.close(code=GOING_AWAY, reason="test")


async def _live_map(browser, served, world):
    page = await open_page(browser, world.token, 1440)
    await page.clock.install(time=datetime.now(UTC))
    relay = Relay()
    await page.route_web_socket("**/graphql", relay)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    await _following(page, served)
    return page, relay


async def _following(page, served) -> None:
    await page.wait_for_function("() => document.getElementById('live').textContent === '● live'")
    await eventually(
        lambda: served.live.subscriber_count(Topic.OBSERVATION_LOGGED),
        within=10,
        what="the page's subscriptions",
        seen=lambda: page.console,
    )


async def _cut(page, relay) -> None:
    """Drop the connection; the page's clock stands still, so it cannot try again yet."""
    await page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    await relay.cut()
    await page.wait_for_function("() => document.getElementById('live').hidden")


async def test_after_a_dropped_connection_the_map_fetches_what_it_missed(
    browser, world, database_url
):
    async with serving(database_url) as served:
        page, relay = await _live_map(browser, served, world)
        await _cut(page, relay)

        async with httpx.AsyncClient(base_url=f"http://{served.address}") as http:
            logged = await GraphQLClient(http, world.token).mutate(
                "logObservation",
                {
                    "text": "Nobody told us while we were away",
                    "kind": "INSIGHT",
                    "stageId": gid("Stage", world.stages[1]),
                },
            )
        assert logged["errors"] == []
        cart = page.locator(".row.observations .cell").nth(1)
        assert "Nobody told us" not in await cart.inner_text()

        await page.clock.run_for(1_500)  # the page's first retry comes after a second
        await _following(page, served)
        assert len(relay.opened) == 2
        await cart.get_by_text("Nobody told us while we were away").wait_for(timeout=10_000)


async def test_a_token_revoked_meanwhile_stops_the_retries_and_says_so(
    browser, world, db, database_url
):
    async with serving(database_url) as served:
        page, relay = await _live_map(browser, served, world)
        async with db.begin() as session:
            token = await auth_service.authenticate(session, secret=world.token)
            assert token is not None
            await auth_service.revoke(session, workspace_id=world.workspace.id, token_id=token.id)
        await _cut(page, relay)

        await page.clock.run_for(1_500)
        await page.wait_for_function("() => document.body.dataset.live === 'refused'")
        assert "no longer accepted" in await page.text_content("#message")
        assert await page.text_content("#live") == "○ not live"
        tries = len(relay.opened)
        await page.clock.run_for(10 * 60_000)  # ten minutes of the page's time: no more tries
        assert len(relay.opened) == tries == 2


async def test_figures_follow_the_events_ingested_while_the_map_is_open(
    browser, world, database_url
):
    """The server announces the journey's moved figures; the page reads them again once the
    notices settle, long before its fallback minute."""
    async with serving(database_url) as served:
        page, _ = await _live_map(browser, served, world)
        await eventually(
            lambda: served.live.subscriber_count(Topic.FIGURES_CHANGED),
            within=10,
            what="the page's figures subscription",
            seen=lambda: page.console,
        )
        await page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
        entered = page.locator('.row.funnel .cell [data-figure="entered"]').first
        before = int(await entered.get_attribute("data-value"))

        batch = [
            factories.track(f"newcomer-{n}", "Ad Clicked", datetime.now(UTC).isoformat())
            for n in range(3)
        ]
        async with httpx.AsyncClient(base_url=f"http://{served.address}") as http:
            sent = await http.post("/v1/batch", auth=(world.token, ""), json={"batch": batch})
        assert sent.json()["accepted"] == 3
        await page.wait_for_function("() => document.body.dataset.figuresNotices", timeout=10_000)
        assert int(await entered.get_attribute("data-value")) == before  # still settling

        await page.clock.run_for(1_000)  # the settling wait, not the fallback minute
        await page.wait_for_function(
            "want => document.querySelector('.row.funnel .cell [data-figure=\"entered\"]')"
            ".dataset.value === want",
            arg=str(before + 3),
        )


async def test_while_the_socket_is_down_figures_are_read_every_minute(browser, world, database_url):
    async with serving(database_url) as served:
        page, relay = await _live_map(browser, served, world)
        relay.unreachable = True
        await _cut(page, relay)
        entered = page.locator('.row.funnel .cell [data-figure="entered"]').first
        before = int(await entered.get_attribute("data-value"))

        batch = [
            factories.track(f"offline-{n}", "Ad Clicked", datetime.now(UTC).isoformat())
            for n in range(2)
        ]
        async with httpx.AsyncClient(base_url=f"http://{served.address}") as http:
            sent = await http.post("/v1/batch", auth=(world.token, ""), json={"batch": batch})
        assert sent.json()["accepted"] == 2
        await page.clock.run_for(30_000)
        assert int(await entered.get_attribute("data-value")) == before  # not before a minute

        await page.clock.run_for(31_000)
        await page.wait_for_function(
            "want => document.querySelector('.row.funnel .cell [data-figure=\"entered\"]')"
            ".dataset.value === want",
            arg=str(before + 2),
        )
        assert len(relay.opened) == 2  # it tried again, and nobody answered
