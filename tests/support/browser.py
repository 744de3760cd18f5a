"""Pages in Debian's chromium driven by Playwright: the browser, a page with a token in its
local storage that records console errors and CSP violations, waiting for the map, axe-core."""

import json
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parents[1] / "web" / "vendor" / "axe-core-4.11.0" / "axe.min.js"

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)"
)


async def open_page(browser, token, width, height=900):
    """A page in a fresh context whose local storage holds `token`; `page.console` collects
    console messages and page errors, `page.violations` CSP violations."""
    context = await browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    await context.add_init_script(f"localStorage.setItem('journeyops.token', {json.dumps(token)})")
    page = await context.new_page()
    page.violations = []
    page.console = []
    page.on("console", lambda m: page.console.append(m.text))
    page.on("pageerror", lambda e: page.console.append(str(e)))
    page.on(
        "console",
        lambda m: page.violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return page


async def map_loaded(page, query_part: str = "") -> None:
    """Wait until the map for an address containing `query_part` is drawn."""
    try:
        await page.wait_for_function(
            "want => decodeURIComponent(document.body.dataset.loaded || '').includes(want) && "
            "document.querySelector('#picture svg')",
            arg=query_part,
            timeout=15_000,
        )
    except Exception:
        message = await page.text_content("#message")
        raise AssertionError(
            f"the map did not load: {message!r}, console: {page.console}"
        ) from None


async def serious_accessibility_violations(page) -> list[str]:
    """The ids of axe-core's serious and critical findings on the page as it is."""
    await page.evaluate(AXE.read_text())
    found = await page.evaluate("async () => (await axe.run()).violations")
    return [v["id"] for v in found if v["impact"] in ("serious", "critical")]
