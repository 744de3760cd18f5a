"""The list of journeys and the map's editor in a real browser (Debian's chromium, driven by
Playwright): a journey made from a template and a stage added in the browser are there over
GraphQL; a payload error shows next to its field; a read-only token sees no edit controls; an
observation logged over GraphQL appears without a reload; axe-core finds nothing serious."""

import httpx
import pytest

from domain.live import Topic
from tests.support import factories
from tests.support.browser import (
    map_loaded,
    needs_chromium,
    open_page,
    serious_accessibility_violations,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.graphql_data import gid
from tests.support.journey_map_world import build_map_world
from tests.support.live_servers import serving
from tests.support.waiting import eventually

pytestmark = needs_chromium

JOURNEYS = "{ journeys { id name stages { name customerGoal expectedEmotion } } }"


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


@pytest.fixture
async def gql(served, world):
    async with httpx.AsyncClient(base_url=f"http://{served.address}") as http:
        yield GraphQLClient(http, world.write_token)


async def _editor_open(page) -> None:
    await page.wait_for_function("() => document.body.dataset.editor === 'open'", timeout=15_000)
    await page.click("#editor summary")


async def test_a_journey_from_a_template_and_a_stage_made_in_the_browser(
    browser, served, world, gql, tmp_path
):
    page = await open_page(browser, world.write_token, 1440)
    await page.goto(f"http://{served.address}/journeys")
    await page.wait_for_function("() => document.body.dataset.loaded", timeout=15_000)
    row = page.locator(f'tr[data-journey-id="{gid("Journey", world.journey)}"]')
    assert await row.locator("td").all_inner_texts() == ["3", "20", "60.0% (12)", "⚠ 1"]
    assert await serious_accessibility_violations(page) == []
    await page.screenshot(path=tmp_path / "journeys-1440.png", full_page=True)

    await page.select_option(".create-journey select", label="Online purchase")
    await page.fill(".create-journey input", "Shop, drawn in the browser")
    await page.click("text=Create journey")
    await page.wait_for_url("**/journeys/*")
    await map_loaded(page)
    await _editor_open(page)
    add = page.locator("form.add-stage")
    await add.get_by_label("Stage name").fill("Loyalty club")
    await add.get_by_label("Customer goal").fill("Be rewarded for coming back")
    await add.get_by_label("Expected emotion").select_option(label="loyalty")
    await add.get_by_role("button", name="Add stage").click()
    await page.wait_for_function(
        "() => document.querySelectorAll('.stage-name').length === 6", timeout=15_000
    )

    journeys = (await gql.data(JOURNEYS))["journeys"]
    made = next(j for j in journeys if j["name"] == "Shop, drawn in the browser")
    assert [s["name"] for s in made["stages"]] == [
        "Awareness",
        "Consideration",
        "Decision",
        "Retention",
        "Advocacy",
        "Loyalty club",
    ]
    assert made["stages"][-1]["customerGoal"] == "Be rewarded for coming back"
    assert made["stages"][1]["expectedEmotion"] == "HOPE"
    assert await serious_accessibility_violations(page) == []
    assert page.violations == []
    await page.screenshot(path=tmp_path / "editor-1440.png", full_page=True)
    print(f"screenshots: {tmp_path}")


async def test_a_payload_error_shows_next_to_its_field(browser, served, world, tmp_path):
    page = await open_page(browser, world.write_token, 390, 844)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    await _editor_open(page)
    journey = page.locator("form.edit-journey")
    await journey.get_by_label("Journey name").fill("")
    await journey.get_by_role("button", name="Save journey").click()
    error = journey.locator('[data-error-for="name"]')
    await error.wait_for(state="visible", timeout=10_000)
    assert "name" in (await error.inner_text()).lower()
    name_field = journey.get_by_label("Journey name")
    assert await name_field.get_attribute("aria-invalid") == "true"
    assert await name_field.get_attribute("aria-describedby") == await error.get_attribute("id")

    # Removing a stage that holds touchpoints asks where they go; not choosing is an error
    # next to that choice.
    cart = page.locator(f'section.edit-stage[data-stage-id="{gid("Stage", world.stages[1])}"]')
    await cart.get_by_role("button", name="Remove stage…").click()
    await cart.get_by_role("button", name="Remove and move").click()
    move_error = cart.locator('[data-error-for="moveToStageId"]')
    await move_error.wait_for(state="visible", timeout=10_000)
    assert await move_error.inner_text()
    assert await page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert page.violations == []
    await page.screenshot(path=tmp_path / "editor-errors-390.png", full_page=True)
    print(f"screenshots: {tmp_path}")


async def test_a_read_only_token_sees_no_edit_controls(browser, served, world):
    page = await open_page(browser, world.read_token, 1440)
    await page.goto(f"http://{served.address}/journeys")
    await page.wait_for_function("() => document.body.dataset.loaded", timeout=15_000)
    assert await page.locator("tbody tr").count() == 1
    assert await page.locator("form").filter(has_text="Create journey").count() == 0
    assert await page.is_hidden("#new-journey")

    await page.click(f"text={world.journey.name}")
    await map_loaded(page)
    await page.wait_for_function("() => document.body.dataset.editor === 'none'", timeout=15_000)
    assert await page.is_hidden("#editor")
    assert await page.locator("#editor-body > *").count() == 0


async def test_an_observation_logged_over_graphql_appears_without_a_reload(
    browser, served, world, gql
):
    page = await open_page(browser, world.read_token, 1440)
    await page.goto(f"http://{served.address}/journeys/{world.journey.id}")
    await map_loaded(page)
    await page.evaluate("() => { window.sameDocument = true; }")
    await eventually(
        lambda: (
            served.live.subscriber_count(Topic.OBSERVATION_LOGGED)
            and served.live.subscriber_count(Topic.ALERT_FIRED)
        ),
        within=10,
        what="the page's subscriptions",
        seen=lambda: page.console,
    )

    logged = await gql.mutate(
        "logObservation",
        {
            "text": "Checkout asks for the postcode twice",
            "kind": "PAIN_POINT",
            "stageId": gid("Stage", world.stages[2]),
            "emotion": "FRUSTRATION",
        },
    )
    assert logged["errors"] == []
    buy = page.locator(".row.observations .cell").nth(2)
    await buy.get_by_text("Checkout asks for the postcode twice").wait_for(timeout=10_000)
    assert await page.evaluate("() => window.sameDocument") is True
    assert "frustration × 1" in await page.locator(".row.emotions .cell").nth(2).inner_text()
