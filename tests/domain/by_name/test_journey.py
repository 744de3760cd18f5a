"""Journeys by name: forgiving lookups, and the map of the journey named."""

import pytest

from domain.by_name import journey as journey_by_name
from domain.errors import NotFound, ValidationError
from tests.support.factories import make_journey, make_observation, make_workspace, stages_of


async def test_map_summary_reports_emotions_and_pain_points_per_stage(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, "Online purchase")
    stages = await stages_of(session, journey)
    await make_observation(session, stage=stages[2], emotion="anxiety", text="shipping")
    await make_observation(session, stage=stages[2], emotion="anxiety", kind="insight")
    await session.commit()  # the figures are read in a snapshot of what is committed
    journey_map = await journey_by_name.summarise(
        session, workspace_id=workspace.id, journey="online purchase"
    )
    decision = journey_map.stages[2]
    assert decision.emotions == [("anxiety", 2)]
    assert [o.text for o in decision.pain_points] == ["shipping"]
    assert journey_map.stages[0].observation_count == 0


async def test_with_no_name_the_only_journey_is_meant_and_otherwise_asked_for(session):
    workspace = await make_workspace(session)
    with pytest.raises(NotFound, match="This workspace has no journey yet"):
        await journey_by_name.find(session, workspace_id=workspace.id, name=None)
    only = await make_journey(session, workspace, "Online purchase")
    assert await journey_by_name.find(session, workspace_id=workspace.id, name=" ") is only
    await make_journey(session, workspace, "B2B trial")
    with pytest.raises(ValidationError, match="Say which journey: B2B trial, Online purchase"):
        await journey_by_name.find(session, workspace_id=workspace.id, name=None)
    typo = await journey_by_name.find(session, workspace_id=workspace.id, name="b2b tiral")
    assert typo.name == "B2B trial"


async def test_a_journey_and_stage_said_in_one_breath_are_told_apart(session):
    workspace = await make_workspace(session)
    online = await make_journey(session, workspace, "Online purchase")
    whole = await make_journey(session, workspace, "Online purchase decision")
    said = journey_by_name.find_with_stage
    assert await said(
        session, workspace_id=workspace.id, name="online purchase retention", stage=None
    ) == (online, "retention")
    assert await said(
        session, workspace_id=workspace.id, name="Online purchase decision", stage=None
    ) == (whole, None)
    assert await said(
        session, workspace_id=workspace.id, name="online purchase", stage="decision"
    ) == (online, "decision")
