from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import NotFound
from domain.observation.similar import similar
from tests.support.factories import (
    make_journey,
    make_observation,
    make_workspace,
    stages_of,
)

LATE_SHIPPING = "shipping costs shown too late at checkout"


@pytest.fixture
async def stages(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("consideration", "decision"))
    return await stages_of(session, journey)


async def _similar(session, stage, text=LATE_SHIPPING, **options):
    return await similar(
        session, workspace_id=stage.workspace_id, stage_id=stage.id, text=text, **options
    )


async def test_a_near_duplicate_at_the_stage_is_found(session, stages):
    _, decision = stages
    same = await make_observation(
        session, stage=decision, text="customers abandon checkout when shipping costs appear"
    )
    await make_observation(session, stage=decision, text="checkout button is hidden on mobile")
    await make_observation(session, stage=decision, text="the search bar returns no results")

    assert [o.id for o in await _similar(session, decision)] == [same.id]


async def test_the_most_alike_come_first(session, stages):
    _, decision = stages
    closer = await make_observation(
        session, stage=decision, text="Shipping costs are shown late, at the end of checkout"
    )
    further = await make_observation(
        session, stage=decision, text="customers abandon checkout when shipping costs appear"
    )
    found = await _similar(session, decision)
    assert [o.id for o in found] == [closer.id, further.id]
    assert [o.id for o in await _similar(session, decision, limit=1)] == [closer.id]


async def test_unrelated_text_finds_nothing(session, stages):
    _, decision = stages
    await make_observation(session, stage=decision)
    await make_observation(session, stage=decision, text="checkout button is hidden on mobile")

    assert await _similar(session, decision, text="the search bar returns no results") == []
    assert await _similar(session, decision, text="slow checkout") == []
    assert await _similar(session, decision, text="?!") == []


async def test_other_stages_workspaces_and_old_observations_never_show(session, stages):
    consideration, decision = stages
    await make_observation(session, stage=consideration)
    await make_observation(
        session, stage=decision, logged_at=datetime.now(UTC) - timedelta(days=91)
    )
    other_workspace = await make_workspace(session, "Globex")
    other_journey = await make_journey(session, other_workspace, stages=("decision",))
    (other_decision,) = await stages_of(session, other_journey)
    await make_observation(session, stage=other_decision)

    assert await _similar(session, decision) == []
    with pytest.raises(NotFound):
        await similar(
            session, workspace_id=decision.workspace_id, stage_id=other_decision.id, text="x"
        )
