"""The map page in a real browser (Debian's chromium, driven by Playwright): the demo's map
shows the figures `stageMetrics` gives, a persona's when one is chosen, fits 1440 px without
scrolling sideways, shows one stage at a time at 390 px, breaks no CSP rule, passes axe-core,
and downloads its PNG."""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from domain.alert.evaluation import detectable_falls
from domain.alert_rule.models import AlertRule
from domain.live import Topic
from domain.mention import service as mention_service
from domain.metrics.cohorts import daily_cohorts
from domain.models import Journey, Observation, Persona, Team
from journeyops import demo
from tests.support import factories
from tests.support.browser import (
    map_loaded,
    needs_chromium,
    open_page,
    serious_accessibility_violations,
)
from tests.support.graphql_data import gid
from tests.support.live_servers import serving
from tests.support.waiting import eventually

FIGURES = [
    "entered",
    "converted",
    "dropped",
    "pending",
    "conversionRate",
    "dropOffRate",
    "medianTimeToConvert",
    "p90TimeToConvert",
]
METRICS = """
query($id: ID!, $from: Date!, $to: Date!, $asOf: DateTime, $personaId: ID) {
  journey(id: $id) { stageMetrics(from: $from, to: $to, asOf: $asOf, personaId: $personaId) {
    stages { entered converted dropped pending conversionRate dropOffRate
             medianTimeToConvert p90TimeToConvert } } }
}
"""

pytestmark = needs_chromium


@pytest.fixture
async def demo_map(db):
    """The demo workspace (a smaller crowd), its online-purchase journey and a read token."""
    async with db.begin() as session:
        workspace, _ = await demo.load(session, customers=(800, 150))
        token = await factories.make_token(session, workspace, "read")
        journey = await session.scalar(select(Journey).where(Journey.name == "Online purchase"))
        persona = await session.scalar(select(Persona).order_by(Persona.name).limit(1))
    return journey, persona, token


async def _shown_figures(page) -> list[dict]:
    return await page.evaluate(
        """figures => [...document.querySelectorAll('.row.funnel .cell')].map(cell =>
            Object.fromEntries(figures.map(name => {
                const box = cell.querySelector(`[data-figure="${name}"]`);
                return [name, box ? box.dataset.value : null];
            })))""",
        FIGURES,
    )


def _as_shown(stages: list[dict]) -> list[dict]:
    """stageMetrics' figures as the page keeps them (text; the last stage only `entered`)."""
    shown = []
    for n, stage in enumerate(stages):
        last = n == len(stages) - 1
        shown.append(
            {
                name: (None if last and name != "entered" else "" if v is None else str(v))
                for name, v in stage.items()
            }
        )
    return shown


async def _stage_metrics(address, token, journey, page, persona=None) -> list[dict]:
    period = await page.evaluate(
        "() => [document.getElementById('from').value, document.getElementById('to').value,"
        " document.body.dataset.asOf]"
    )
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        response = await http.post(
            "/graphql",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "query": METRICS,
                "variables": {
                    "id": gid("Journey", journey),
                    "from": period[0],
                    "to": period[1],
                    "asOf": period[2],
                    "personaId": gid("Persona", persona) if persona else None,
                },
            },
        )
    return response.json()["data"]["journey"]["stageMetrics"]["stages"]


def _same(shown: list[dict], expected: list[dict]) -> None:
    """Figures equal, floats compared as numbers (JavaScript and Python print them alike, but
    the last digit of a float's text is not worth a failure)."""
    assert len(shown) == len(expected) == 5
    for page_stage, metric_stage in zip(shown, _as_shown(expected), strict=True):
        for name in FIGURES:
            a, b = page_stage[name], metric_stage[name]
            if a and b and "." in a + b:
                assert float(a) == pytest.approx(float(b), rel=1e-12), name
            else:
                assert a == b, name


async def test_the_demo_map_in_a_browser(database_url, demo_map, browser, tmp_path):
    journey, persona, token = demo_map
    async with serving(database_url) as served:
        address = f"http://{served.address}/journeys/{journey.id}?days=30"
        page = await open_page(browser, token, 1440)
        await page.goto(address)
        await map_loaded(page, "days=30")

        _same(
            await _shown_figures(page), await _stage_metrics(served.address, token, journey, page)
        )
        assert int((await _shown_figures(page))[0]["entered"]) > 0
        # The demo's actions at Decision, by status: in progress before open, with owners.
        actions = " ".join(await page.locator(".row.actions").all_text_contents())
        assert actions.index("in progress") < actions.index("open")
        assert (
            "Show shipping costs on the product page" in actions and "owned by product" in actions
        )
        await page.screenshot(path=tmp_path / "map-1440.png", full_page=True)
        assert await page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )

        everyone = await _shown_figures(page)
        await page.select_option("#persona", label=persona.name)
        await map_loaded(page, f"persona={gid('Persona', persona)}")
        for_persona = await _shown_figures(page)
        assert for_persona != everyone
        _same(
            for_persona,
            await _stage_metrics(served.address, token, journey, page, persona=persona),
        )
        assert gid("Persona", persona) in unquote(page.url)

        async with page.expect_download() as downloading:
            await page.click("[data-export=png]")
        download = await downloading.value
        assert download.suggested_filename.endswith(".png")
        assert Path(await download.path()).read_bytes().startswith(b"\x89PNG")

        assert await serious_accessibility_violations(page) == []
        assert page.violations == []

        phone = await open_page(browser, token, 390, 844)
        await phone.goto(page.url)
        await map_loaded(phone)
        visible = await phone.eval_on_selector_all(
            ".row.funnel .cell", "cells => cells.filter(c => c.offsetParent).length"
        )
        assert visible == 1
        await phone.click("#next-stage")
        assert "2." in await phone.text_content("#stage-shown")
        await phone.screenshot(path=tmp_path / "map-390.png", full_page=True)
        assert await phone.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert phone.violations == []
        print(f"screenshots: {tmp_path}")


async def test_an_alert_fired_while_the_demo_map_is_open_shows_on_its_stage(
    database_url, demo_map, browser, db
):
    """The demo's story on the page: a drop-off alert raised at Consideration (as the worker
    raises it, with the figures it fired on) appears in that stage's column without a reload."""
    journey, _, token = demo_map
    async with serving(database_url) as served:
        page = await open_page(browser, token, 1440)
        await page.goto(f"http://{served.address}/journeys/{journey.id}?days=30")
        await map_loaded(page, "days=30")
        await page.evaluate("() => { window.sameDocument = true; }")
        await eventually(
            lambda: served.live.subscriber_count(Topic.ALERT_FIRED),
            within=10,
            what="the page's subscription to alerts",
            seen=lambda: page.console,
        )
        alerts = page.locator(".row.alerts .cell")
        assert await alerts.nth(1).inner_text() == "None open."

        async with db.begin() as session:
            consideration = (await factories.stages_of(session, journey))[1]
            rule = await factories.make_alert_rule(session, journey, consideration)
            await factories.make_alert(session, rule, consideration)

        await alerts.nth(1).get_by_text("Alert: open").wait_for(timeout=10_000)
        shown = await alerts.nth(1).inner_text()
        assert "Drop-off 65.0% now vs 50.0% baseline" in shown  # the evaluation it fired on
        assert "p-value" in shown and "Not assigned" in shown
        # The lane below: what each rule watching it can detect there, as the map read it.
        said = await page.locator(".row.detectable .cell").nth(1).inner_text()
        async with db() as session:
            rules = await session.scalars(
                select(AlertRule).where(AlertRule.journey_id == journey.id, AlertRule.enabled)
            )
            falls = [
                stage.fall
                for watching in list(rules)
                for stage in await detectable_falls(
                    session,
                    rule=watching,
                    at=datetime.now(UTC),
                    cohorts=daily_cohorts,
                    stage_id=consideration.id,
                )
            ]
        assert len(falls) == 2  # the demo's rule on every stage, and this one
        assert {line for line in said.splitlines() if line} == {
            f"Can detect a fall of {f.points:.1f} pts" if f.points is not None else f.reason
            for f in falls
        }
        assert [await alerts.nth(n).inner_text() for n in (0, 2, 3, 4)] == ["None open."] * 4
        assert await page.evaluate("() => window.sameDocument") is True
        assert page.violations == []


async def test_an_observation_others_saw_too_says_how_often_it_was_raised(
    database_url, demo_map, browser, db
):
    journey, _, token = demo_map
    async with db.begin() as session:
        newest = await session.scalar(
            select(Observation)
            .where(Observation.journey_id == journey.id)
            .order_by(Observation.created_at.desc())
            .limit(1)
        )
        for n, team in enumerate(await session.scalars(select(Team).order_by(Team.name))):
            await mention_service.mention(
                session,
                workspace_id=newest.workspace_id,
                observation_id=newest.id,
                author_id=f"UPLUS{n}",
                author_name=f"Person {n}",
                author_team_id=team.id,
            )
        raised = await mention_service.raised(
            session, workspace_id=newest.workspace_id, observation_ids=[newest.id]
        )
    async with serving(database_url) as served:
        page = await open_page(browser, token, 1440)
        await page.goto(f"http://{served.address}/journeys/{journey.id}?days=30")
        await map_loaded(page, "days=30")
        quoted = page.locator(".observation", has_text=newest.text).first
        assert await quoted.locator(".raised").inner_text() == str(raised[newest.id])
        assert raised[newest.id].times > 2
        assert page.violations == []
