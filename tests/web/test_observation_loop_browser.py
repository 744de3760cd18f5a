"""From an observation on the map to a +1 or an action, in a real browser (Debian's chromium,
driven by Playwright): "+1 Same as this" counts once per person and says so the second time;
"Create action" makes an action with the observation (and others ticked) that shows in the
map's action list; a payload error shows next to its field; a read-only token sees neither."""

from datetime import date, timedelta

import httpx
import pytest

from tests.support import factories
from tests.support.browser import map_loaded, needs_chromium, open_page
from tests.support.graphql_client import GraphQLClient
from tests.support.graphql_data import gid
from tests.support.journey_map_world import build_map_world
from tests.support.live_servers import serving

pytestmark = needs_chromium

ACTIONS = """query($id: ID!) {
  journey(id: $id) { actions { title status ownerTeam { name } stage { name }
                               observations { text } } }
}"""


@pytest.fixture
async def world(db):
    async with db.begin() as session:
        world = await build_map_world(session, customers=20)
        world.write_token = await factories.make_token(session, world.workspace, "write")
        world.read_token = await factories.make_token(session, world.workspace, "read")
        return world


@pytest.fixture
async def served(database_url, world):
    async with serving(database_url) as served:
        yield served


def _observation(page, text: str):
    return page.locator(".row.observations blockquote.observation").filter(has_text=text)


async def test_a_second_plus_one_by_the_same_person_changes_nothing_and_says_so(
    browser, served, world
):
    page = await open_page(browser, world.write_token, 1440)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    shipping = _observation(page, "Coupon field confuses people")
    assert await shipping.locator(".raised").is_hidden()

    await shipping.get_by_role("button", name="+1").click()
    said = shipping.locator(".observation-said")
    await said.get_by_text("Counted").wait_for(timeout=10_000)
    assert await shipping.locator(".raised").inner_text() == "raised 2 times by 1 team"

    await shipping.get_by_role("button", name="+1").click()
    await said.get_by_text("already raised this; nothing changed").wait_for(timeout=10_000)
    assert await shipping.locator(".raised").inner_text() == "raised 2 times by 1 team"
    assert page.violations == []


async def test_an_action_created_from_an_observation_shows_in_the_action_list(
    browser, served, world, tmp_path
):
    page = await open_page(browser, world.write_token, 1440)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    await (
        _observation(page, "The basket forgets items")
        .get_by_role("button", name="Create action")
        .click()
    )
    box = page.locator("#create-action")
    await box.get_by_label("Title").wait_for(timeout=10_000)
    assert await box.get_by_label("The basket forgets items").is_checked()
    assert not await box.get_by_label("Basket is slow on phones").is_checked()
    assert "Growth" in await box.get_by_label("Owning team").inner_text()

    # a due date in the past: the error next to it, nothing stored
    await box.get_by_label("Title").fill("Explain the coupon field")
    await box.get_by_label("Due date").fill("2020-01-01")
    await box.get_by_role("button", name="Create action").click()
    error = box.locator('[data-error-for="dueOn"]')
    await error.wait_for(state="visible", timeout=10_000)
    assert await error.inner_text()
    assert await box.get_by_label("Due date").get_attribute("aria-invalid") == "true"
    await page.screenshot(path=tmp_path / "create-action-error.png", full_page=True)

    await box.get_by_label("Due date").fill((date.today() + timedelta(days=14)).isoformat())
    await box.get_by_label("Basket is slow on phones").check()
    # a double click submits twice with the form's one idempotency key: one action
    await box.get_by_role("button", name="Create action").dblclick()
    await box.wait_for(state="hidden", timeout=10_000)
    cart = page.locator(".row.actions .cell").nth(1)
    await cart.get_by_text("Explain the coupon field").wait_for(timeout=10_000)
    assert (
        "2 observations"
        in await cart.locator(".action").filter(has_text="Explain the coupon field").inner_text()
    )
    assert "Action “Explain the coupon field” created." in await page.text_content("#message")
    assert page.violations == []

    async with httpx.AsyncClient(base_url=f"http://{served.address}") as http:
        data = await GraphQLClient(http, world.write_token).data(
            ACTIONS, {"id": gid("Journey", world.journey)}
        )
    made = [a for a in data["journey"]["actions"] if a["title"] == "Explain the coupon field"]
    assert made == [
        {
            "title": "Explain the coupon field",
            "status": "OPEN",
            "ownerTeam": {"name": "Growth"},  # createAction's default: the stage's owner
            "stage": {"name": "Cart"},
            "observations": made[0]["observations"],
        }
    ]
    assert sorted(o["text"] for o in made[0]["observations"]) == [
        "Basket is slow on phones",
        "The basket forgets items",
    ]


async def test_an_empty_title_is_an_error_next_to_it(browser, served, world):
    page = await open_page(browser, world.write_token, 390, 844)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    await page.click("#next-stage")  # on a phone one stage shows at a time: the cart
    await (
        _observation(page, "Offer saved baskets")
        .get_by_role("button", name="Create action")
        .click()
    )
    box = page.locator("#create-action")
    await box.get_by_role("button", name="Create action").click()
    error = box.locator('[data-error-for="title"]')
    await error.wait_for(state="visible", timeout=10_000)
    assert "title" in (await error.inner_text()).lower()
    assert await box.get_by_label("Title").get_attribute("aria-invalid") == "true"


async def test_a_read_only_visitor_sees_no_plus_one_or_create_action(browser, served, world):
    page = await open_page(browser, world.read_token, 1440)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    assert await page.locator(".row.observations blockquote.observation").count() > 0
    assert await page.locator(".observation-buttons").count() == 0
    assert await page.get_by_role("button", name="Create action").count() == 0
    assert await page.is_hidden("#create-action")
