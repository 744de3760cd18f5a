"""`/journeys/{id}.png|.svg|.pdf`: the map's picture drawn on the server, for a bearer token of
the journey's workspace, with clear refusals."""

import httpx
import pytest

from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support import factories
from tests.support.journey_map_world import build_map_world


@pytest.fixture
async def served(db, database_url):
    app = create_app(Settings(), database_url=database_url)
    async with db.begin() as session:
        world = await build_map_world(session)
        token = await factories.make_token(session, world.workspace, "read")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.headers["Authorization"] = f"Bearer {token}"
            yield http, world


@pytest.mark.parametrize(
    ("format", "media_type", "magic"),
    [
        ("png", "image/png", b"\x89PNG"),
        ("svg", "image/svg+xml", b"<svg"),
        ("pdf", "application/pdf", b"%PDF"),
    ],
)
async def test_each_format_is_drawn_for_the_period_asked(served, format, media_type, magic):
    http, world = served
    response = await http.get(f"/journeys/{world.journey.id}.{format}?days=7")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    assert response.content.startswith(magic)
    assert "online-purchase-" in response.headers["content-disposition"]


async def test_the_svg_shows_the_persona_and_the_stages(served):
    http, world = served
    from graphql_api.ids import encode

    response = await http.get(
        f"/journeys/{world.journey.id}.svg", params={"persona": encode("Persona", world.persona.id)}
    )
    assert "persona Bargain hunters" in response.text and "2. Cart" in response.text


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?days=0", 400, "days"),
        ("?days=lots", 400, "days"),
        ("?from=2026-01-01", 400, "to"),
        ("?from=yesterday&to=2026-01-01", 400, "from"),
        ("?persona=nobody", 400, "persona"),
        ("?channel=pigeon", 400, "channel"),
    ],
)
async def test_bad_choices_are_refused_naming_them(served, query, status, field):
    http, world = served
    response = await http.get(f"/journeys/{world.journey.id}.png{query}")
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["field"] == field


async def test_a_token_is_needed_and_sees_only_its_workspace(served, db):
    http, world = served
    address = f"/journeys/{world.journey.id}.png"
    assert (await http.get(address, headers={"Authorization": ""})).status_code == 401
    assert (
        await http.get(address, headers={"Authorization": "Bearer jo_wrong"})
    ).status_code == 401
    async with db.begin() as session:
        stranger = await factories.make_token(session, await factories.make_workspace(session))
    elsewhere = await http.get(address, headers={"Authorization": f"Bearer {stranger}"})
    assert elsewhere.status_code == 404


async def test_unknown_formats_and_addresses_are_not_found(served):
    http, world = served
    assert (await http.get(f"/journeys/{world.journey.id}.gif")).status_code == 404
    assert (await http.get("/journeys/nonsense.png")).status_code == 404
