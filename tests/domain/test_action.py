import pytest

from domain.action import service as action_service
from domain.errors import Conflict, NotFound, ValidationError
from tests.support.factories import (
    make_journey,
    make_observation,
    make_team,
    make_workspace,
    stages_of,
)


async def test_an_action_links_a_stage_and_observations_and_moves_along(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("decision",))
    (decision,) = await stages_of(session, journey)
    team = await make_team(session, workspace, "product")
    pain = await make_observation(session, stage=decision)
    action = await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        stage_id=decision.id,
        title="Show shipping costs on the product page",
        owner_team_id=team.id,
        observation_ids=[pain.id, pain.id],
    )
    assert action.status == "open"
    assert await action_service.observation_ids(
        session, workspace_id=workspace.id, action_id=action.id
    ) == [pain.id]
    for status in ("in progress", "done"):
        await action_service.update(
            session, workspace_id=workspace.id, action_id=action.id, status=status
        )
    assert action.status == "done"
    with pytest.raises(Conflict, match="already done"):
        await action_service.update(
            session, workspace_id=workspace.id, action_id=action.id, status="open"
        )


async def test_observations_from_another_journey_cannot_be_linked(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("a",))
    other = await make_journey(session, workspace, stages=("b",))
    elsewhere = await make_observation(session, stage=(await stages_of(session, other))[0])
    with pytest.raises(ValidationError) as caught:
        await action_service.create(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            title="Fix",
            observation_ids=[elsewhere.id],
        )
    assert caught.value.field == "observationIds"


async def test_an_unknown_status_is_refused(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("a",))
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix"
    )
    with pytest.raises(ValidationError, match="open, in_progress, done, dropped"):
        await action_service.update(
            session, workspace_id=workspace.id, action_id=action.id, status="blocked"
        )


async def test_an_action_in_another_workspace_is_not_found(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("a",))
    action = await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Fix"
    )
    with pytest.raises(NotFound):
        await action_service.delete(
            session, workspace_id=(await make_workspace(session)).id, action_id=action.id
        )
