import pytest
from playwright.async_api import async_playwright

from tests.support.browser import CHROMIUM


@pytest.fixture(scope="session")
async def chromium():
    """One browser for the run: launching it took about a second a test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        await browser.close()


@pytest.fixture
async def browser(chromium):
    """The run's browser; each context a test opened (pages, storage, cache, downloads) is
    closed after it, so a test starts with none, as with a browser of its own."""
    assert chromium.contexts == []
    yield chromium
    for context in chromium.contexts:
        await context.close()
