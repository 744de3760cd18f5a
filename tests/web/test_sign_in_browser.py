"""Signing in from Slack in a real browser (Debian's chromium, driven by Playwright): the link
a signed `/journey map` request gets opens the map signed in, with no token pasted, and leaves
no secret in the address bar; opened again, it is refused with a page saying what to do."""

import shutil

import httpx
import pytest
from playwright.async_api import async_playwright

from bot.local_slack import LocalSlack
from tests.support.journey_map_world import build_map_world
from tests.support.live_servers import serving
from tests.support.slack_app import PUBLIC_URL, bot_settings
from tests.support.slack_requests import command_body, signed_headers

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)"
)


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        await browser.close()


async def _tab(browser):
    page = await (await browser.new_context(viewport={"width": 1440, "height": 900})).new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on(  # a browser asks for /favicon.ico on its own; the server has none
        "response",
        lambda r: (
            page.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page


async def _link_from_slack(address: str, slack: LocalSlack) -> str:
    """Ask `/journey map` as Slack would; the button's link, on the served address."""
    body = command_body("map online purchase", response_url=slack.response_url())
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        response = await http.post(
            "/slack/events",
            content=body,
            headers=signed_headers(body, "application/x-www-form-urlencoded"),
        )
    assert response.status_code == 200
    [reply] = await slack.wait_for("response_url")
    await slack.wait_for("files.completeUploadExternal", timeout=15)
    return reply["blocks"][1]["accessory"]["url"].replace(PUBLIC_URL, f"http://{address}")


async def test_a_link_from_slack_signs_in_once(database_url, db, browser):
    async with db.begin() as session:
        world = await build_map_world(session)
    async with LocalSlack() as slack, serving(database_url, bot_settings(slack)) as served:
        link = await _link_from_slack(served.address, slack)
        secret = link.rsplit("#sign-in=", 1)[1]

        page = await _tab(browser)
        await page.goto(link)
        await page.wait_for_function(
            "() => document.body.dataset.loaded && document.querySelector('#picture svg')",
            timeout=15_000,
        )
        assert await page.text_content("#signed-in") == "Signed in as Dana S. (read only)"
        assert await page.is_hidden("#sign-in")
        assert await page.text_content("#title") == world.journey.name
        # The secret is gone from the address bar; the session lives in this tab only.
        assert secret not in page.url and "#" not in page.url
        assert page.url.startswith(f"http://{served.address}/journeys/{world.journey.id}?days=")
        stored = await page.evaluate("() => [sessionStorage.length, localStorage.length]")
        assert stored == [1, 0]
        assert page.problems == []

        again = await _tab(browser)
        await again.goto(link)
        await again.wait_for_selector("#link-refused:not([hidden])")
        refusal = await again.text_content("#link-refused")
        assert "used already" in refusal and "/journey map" in refusal
        assert await again.is_visible("#sign-in")  # an API token still works
        assert secret not in again.url
        assert await again.evaluate("() => sessionStorage.length") == 0
