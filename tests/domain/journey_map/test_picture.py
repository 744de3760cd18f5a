"""The map's picture: one Vega-Lite spec, drawn as PNG, SVG and PDF by infrastructure.drawing."""

import pytest

from domain.journey_map import picture
from domain.journey_map import service as map_service
from tests.support.journey_map_world import build_map_world


@pytest.fixture
async def journey_map(session):
    world = await build_map_world(session)
    await session.commit()  # metrics are read in a snapshot of what is committed
    return await map_service.journey_map(
        session, workspace_id=world.workspace.id, journey_id=world.journey.id, now=world.now
    )


async def test_the_spec_holds_every_stage_with_its_figures_and_alert_in_words(journey_map):
    spec = picture.spec(journey_map)
    rows = spec["data"]["values"]
    assert [r["stage"] for r in rows] == ["1. Look", "2. Cart", "3. Buy"]
    assert [r["entered"] for r in rows] == [s.figures.entered for s in journey_map.stages]
    assert [r["alert"] for r in rows] == ["", "⚠ open alert", ""]
    assert rows[1]["Sentiment recorded"] == journey_map.stages[1].emotions.sentiment
    assert "Cart:" in spec["description"] and "open alert" in spec["description"]
    assert picture.spec(journey_map, width="container")["width"] == "container"
