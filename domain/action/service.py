import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action.models import Action, ActionObservation
from domain.errors import ErrorCode, ValidationError
from domain.journey import service as journey_service
from domain.lookup import get_in_workspace
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.team.models import Team
from domain.validation import TEXT_MAX, UNSET, Unset, one_of, optional_text, required_text
from domain.vocabulary import ActionStatus

TITLE_MAX = 200
LINKED_OBSERVATIONS_MAX = 100


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID) -> Action:
    return await get_in_workspace(
        session,
        Action,
        workspace_id=workspace_id,
        id=action_id,
        field="actionId",
        label="action",
    )


async def list_for_journey(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID
) -> list[Action]:
    return list(
        await session.scalars(
            select(Action)
            .where(Action.workspace_id == workspace_id, Action.journey_id == journey_id)
            .order_by(Action.created_at)
        )
    )


async def observation_ids(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(ActionObservation.observation_id).where(
                ActionObservation.workspace_id == workspace_id,
                ActionObservation.action_id == action_id,
            )
        )
    )


async def list_for_journeys(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Action]]:
    """The actions of many journeys in one query, keyed by journey id (for DataLoaders)."""
    ids = list(journey_ids)
    grouped: dict[uuid.UUID, list[Action]] = {journey_id: [] for journey_id in ids}
    rows = await session.scalars(
        select(Action)
        .where(Action.workspace_id == workspace_id, Action.journey_id.in_(ids))
        .order_by(Action.created_at)
    )
    for action in rows:
        grouped[action.journey_id].append(action)
    return grouped


async def observation_ids_for_actions(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Which observations each of many actions addresses, in one query (for DataLoaders)."""
    ids = list(action_ids)
    grouped: dict[uuid.UUID, list[uuid.UUID]] = {action_id: [] for action_id in ids}
    rows = await session.execute(
        select(ActionObservation.action_id, ActionObservation.observation_id).where(
            ActionObservation.workspace_id == workspace_id, ActionObservation.action_id.in_(ids)
        )
    )
    for action_id, observation_id in rows:
        grouped[action_id].append(observation_id)
    return grouped


async def _stage(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID | None,
) -> uuid.UUID | None:
    if stage_id is None:
        return None
    stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
    if stage.journey_id != journey_id:
        raise ValidationError("That stage is not part of the action's journey.", field="stageId")
    return stage.id


async def _owner(
    session: AsyncSession, workspace_id: uuid.UUID, team_id: uuid.UUID | None
) -> uuid.UUID | None:
    if team_id is not None:
        await get_in_workspace(
            session,
            Team,
            workspace_id=workspace_id,
            id=team_id,
            field="ownerTeamId",
            label="team",
        )
    return team_id


async def _link(
    session: AsyncSession, action: Action, observation_ids_: Iterable[uuid.UUID]
) -> None:
    """Replace the observations an action addresses; they must be from its journey."""
    wanted = list(dict.fromkeys(observation_ids_))
    if len(wanted) > LINKED_OBSERVATIONS_MAX:
        raise ValidationError(
            f"Link at most {LINKED_OBSERVATIONS_MAX} observations to an action.",
            field="observationIds",
            code=ErrorCode.OUT_OF_RANGE,
        )
    found = set(
        await session.scalars(
            select(Observation.id).where(
                Observation.workspace_id == action.workspace_id,
                Observation.journey_id == action.journey_id,
                Observation.id.in_(wanted),
            )
        )
    )
    if len(found) != len(wanted):
        raise ValidationError(
            f"{len(wanted) - len(found)} of the observations do not exist in this journey.",
            field="observationIds",
            code=ErrorCode.NOT_FOUND,
        )
    await session.execute(
        sa.delete(ActionObservation).where(
            ActionObservation.workspace_id == action.workspace_id,
            ActionObservation.action_id == action.id,
        )
    )
    session.add_all(
        ActionObservation(
            workspace_id=action.workspace_id, action_id=action.id, observation_id=observation_id
        )
        for observation_id in wanted
    )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    title: str,
    description: str = "",
    stage_id: uuid.UUID | None = None,
    owner_team_id: uuid.UUID | None = None,
    observation_ids: Iterable[uuid.UUID] = (),
) -> Action:
    """Record an improvement a team owns, linked to the stage and observations it addresses."""
    await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    action = Action(
        workspace_id=workspace_id,
        journey_id=journey_id,
        stage_id=await _stage(session, workspace_id, journey_id, stage_id),
        title=required_text(title, field="title", label="Title", max_length=TITLE_MAX),
        description=optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        ),
        owner_team_id=await _owner(session, workspace_id, owner_team_id),
        status=ActionStatus.OPEN,
    )
    session.add(action)
    await session.flush()
    await _link(session, action, observation_ids)
    await session.flush()
    return action


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    action_id: uuid.UUID,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    status: ActionStatus | str | Unset = UNSET,
    stage_id: uuid.UUID | Unset | None = UNSET,
    owner_team_id: uuid.UUID | Unset | None = UNSET,
    observation_ids: Iterable[uuid.UUID] | Unset = UNSET,
) -> Action:
    """Edit an action or move it along (open → in progress → done, or back)."""
    action = await get(session, workspace_id=workspace_id, action_id=action_id)
    if not isinstance(title, Unset):
        action.title = required_text(title, field="title", label="Title", max_length=TITLE_MAX)
    if not isinstance(description, Unset):
        action.description = optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        )
    if not isinstance(status, Unset):
        action.status = one_of(ActionStatus, status, field="status", label="Status")
    if not isinstance(stage_id, Unset):
        action.stage_id = await _stage(session, workspace_id, action.journey_id, stage_id)
    if not isinstance(owner_team_id, Unset):
        action.owner_team_id = await _owner(session, workspace_id, owner_team_id)
    if not isinstance(observation_ids, Unset):
        await _link(session, action, observation_ids)
    await session.flush()
    return action


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID) -> None:
    action = await get(session, workspace_id=workspace_id, action_id=action_id)
    await session.delete(action)
    await session.flush()
