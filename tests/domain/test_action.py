import pytest
from sqlalchemy import func, select

from domain.action import service as action_service
from domain.action.models import Action
from domain.errors import Conflict, NotFound, ValidationError
from domain.notification.models import Notification
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


async def test_a_repeated_idempotency_key_returns_the_first_action_and_queues_nothing_twice(
    session,
):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("decision",))
    (decision,) = await stages_of(session, journey)
    team = await make_team(session, workspace, "product", channel="C0PRODUCT")

    async def create(title: str, key: str | None):
        return await action_service.create(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            stage_id=decision.id,
            title=title,
            owner_team_id=team.id,
            idempotency_key=key,
        )

    first = await create("Show shipping costs", "slack:view:V1")
    again = await create("Show shipping costs, typed again", "slack:view:V1")
    assert again.id == first.id and again.title == "Show shipping costs"
    other = await create("Show shipping costs", "slack:view:V2")
    without = [await create("No key", None) for _ in range(2)]
    assert len({first.id, other.id, *(a.id for a in without)}) == 4
    assert await session.scalar(select(func.count()).select_from(Action)) == 4
    assert await session.scalar(select(func.count()).select_from(Notification)) == 4
