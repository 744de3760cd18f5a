import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action.models import Action
from domain.errors import Conflict, Duplicate, ErrorCode, ValidationError
from domain.journey.models import Journey
from domain.lookup import get_in_workspace
from domain.metrics import remap
from domain.observation.models import Observation
from domain.stage.models import Stage
from domain.touchpoint.models import Touchpoint
from domain.validation import TEXT_MAX, UNSET, Unset, one_of, optional_text, required_text
from domain.vocabulary import Emotion

STAGES_MAX = 30


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, stage_id: uuid.UUID) -> Stage:
    return await get_in_workspace(
        session, Stage, workspace_id=workspace_id, id=stage_id, field="stageId", label="stage"
    )


async def list_for_journey(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID
) -> list[Stage]:
    """The journey's stages in order."""
    return list(
        await session.scalars(
            select(Stage)
            .where(Stage.workspace_id == workspace_id, Stage.journey_id == journey_id)
            .order_by(Stage.position)
        )
    )


async def list_for_journeys(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Stage]]:
    """The stages of many journeys in one query, in order, keyed by journey id (for DataLoaders)."""
    ids = list(journey_ids)
    grouped: dict[uuid.UUID, list[Stage]] = {journey_id: [] for journey_id in ids}
    rows = await session.scalars(
        select(Stage)
        .where(Stage.workspace_id == workspace_id, Stage.journey_id.in_(ids))
        .order_by(Stage.position)
    )
    for stage in rows:
        grouped[stage.journey_id].append(stage)
    return grouped


async def _journey(session: AsyncSession, workspace_id: uuid.UUID, journey_id: uuid.UUID) -> None:
    """NotFound unless the journey exists in this workspace. Stages depend on journeys, never
    the other way: the journey service creates a journey's first stages through this one."""
    await get_in_workspace(
        session,
        Journey,
        workspace_id=workspace_id,
        id=journey_id,
        field="journeyId",
        label="journey",
    )


def _emotion(value: Emotion | str | None, field: str) -> Emotion | None:
    if value is None or value == "":
        return None
    return one_of(Emotion, value, field=field, label="Expected emotion")


async def _ensure_unique_name(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    name: str,
    field: str,
    exclude: uuid.UUID | None = None,
) -> None:
    existing = await session.scalar(
        select(Stage).where(
            Stage.workspace_id == workspace_id,
            Stage.journey_id == journey_id,
            func.lower(Stage.name) == name.lower(),
        )
    )
    if existing is not None and existing.id != exclude:
        raise Duplicate(f"This journey already has a stage called “{existing.name}”.", field=field)


async def add(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    name: str,
    customer_goal: str = "",
    expected_emotion: Emotion | str | None = None,
    position: int | None = None,
    field_prefix: str = "",
) -> Stage:
    """Add a stage at `position` (0-based; default: after the last), shifting later ones."""
    await _journey(session, workspace_id, journey_id)
    name = required_text(name, field=f"{field_prefix}name", label="Stage name")
    await _ensure_unique_name(session, workspace_id, journey_id, name, f"{field_prefix}name")
    stages = await list_for_journey(session, workspace_id=workspace_id, journey_id=journey_id)
    if len(stages) >= STAGES_MAX:
        raise ValidationError(
            f"A journey has at most {STAGES_MAX} stages.", code=ErrorCode.OUT_OF_RANGE
        )
    if position is None:
        position = len(stages)
    if not 0 <= position <= len(stages):
        raise ValidationError(
            f"Position must be between 0 and {len(stages)} for this journey.",
            field=f"{field_prefix}position",
            code=ErrorCode.OUT_OF_RANGE,
        )
    await session.execute(
        sa.update(Stage)
        .where(
            Stage.workspace_id == workspace_id,
            Stage.journey_id == journey_id,
            Stage.position >= position,
        )
        .values(position=Stage.position + 1)
        .execution_options(synchronize_session="fetch")
    )
    stage = Stage(
        workspace_id=workspace_id,
        journey_id=journey_id,
        position=position,
        name=name,
        customer_goal=optional_text(
            customer_goal,
            field=f"{field_prefix}customerGoal",
            label="Customer goal",
            max_length=TEXT_MAX,
        ),
        expected_emotion=_emotion(expected_emotion, f"{field_prefix}expectedEmotion"),
    )
    session.add(stage)
    await session.flush()
    return stage


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
    name: str | Unset = UNSET,
    customer_goal: str | Unset = UNSET,
    expected_emotion: Emotion | str | Unset | None = UNSET,
) -> Stage:
    stage = await get(session, workspace_id=workspace_id, stage_id=stage_id)
    if not isinstance(name, Unset):
        name = required_text(name, field="name", label="Stage name")
        await _ensure_unique_name(
            session, workspace_id, stage.journey_id, name, "name", exclude=stage.id
        )
        stage.name = name
    if not isinstance(customer_goal, Unset):
        stage.customer_goal = optional_text(
            customer_goal, field="customerGoal", label="Customer goal", max_length=TEXT_MAX
        )
    if not isinstance(expected_emotion, Unset):
        stage.expected_emotion = _emotion(expected_emotion, "expectedEmotion")
    await session.flush()
    return stage


async def reorder(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_ids: list[uuid.UUID],
) -> list[Stage]:
    """Put the journey's stages in the given order; every stage must be named exactly once."""
    await _journey(session, workspace_id, journey_id)
    stages = await list_for_journey(session, workspace_id=workspace_id, journey_id=journey_id)
    by_id = {stage.id: stage for stage in stages}
    if len(set(stage_ids)) != len(stage_ids):
        raise ValidationError("A stage is listed twice; list each stage once.", field="stageIds")
    unknown = [sid for sid in stage_ids if sid not in by_id]
    if unknown:
        raise ValidationError(
            f"{len(unknown)} of the listed stages are not stages of this journey.",
            field="stageIds",
            code=ErrorCode.NOT_FOUND,
        )
    missing = [stage.name for stage in stages if stage.id not in set(stage_ids)]
    if missing:
        raise ValidationError(
            "List every stage of the journey; missing: " + ", ".join(missing) + ".",
            field="stageIds",
            code=ErrorCode.REQUIRED,
        )
    for position, stage_id in enumerate(stage_ids):
        by_id[stage_id].position = position
    await session.flush()  # the position constraint is deferred to commit, so swaps are fine
    await remap.remap(session, workspace_id=workspace_id, journey_id=journey_id)
    return [by_id[stage_id] for stage_id in stage_ids]


async def remove(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
    move_to_stage_id: uuid.UUID | None = None,
) -> None:
    """Remove a stage. Its touchpoints and observations move to `move_to_stage_id`; a stage
    that still holds any cannot be removed without saying where they go."""
    stage = await get(session, workspace_id=workspace_id, stage_id=stage_id)
    touchpoints = await _count(session, Touchpoint, workspace_id, stage.id)
    observations = await _count(session, Observation, workspace_id, stage.id)
    if move_to_stage_id is None and (touchpoints or observations):
        raise Conflict(
            f"Stage “{stage.name}” still has {touchpoints} touchpoint(s) and "
            f"{observations} observation(s); say which stage they move to.",
            field="moveToStageId",
        )
    if move_to_stage_id is not None:
        target = await get_in_workspace(
            session,
            Stage,
            workspace_id=workspace_id,
            id=move_to_stage_id,
            field="moveToStageId",
            label="stage",
        )
        if target.journey_id != stage.journey_id or target.id == stage.id:
            raise ValidationError(
                "Move to another stage of the same journey.", field="moveToStageId"
            )
        for model in (Touchpoint, Observation):
            await session.execute(
                sa.update(model)
                .where(model.workspace_id == workspace_id, model.stage_id == stage.id)
                .values(stage_id=target.id)
            )
    await _move_actions(session, workspace_id, stage.id, move_to_stage_id)
    await session.delete(stage)
    await session.flush()
    await session.execute(
        sa.update(Stage)
        .where(
            Stage.workspace_id == workspace_id,
            Stage.journey_id == stage.journey_id,
            Stage.position > stage.position,
        )
        .values(position=Stage.position - 1)
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()
    await remap.remap(session, workspace_id=workspace_id, journey_id=stage.journey_id)


async def _count(
    session: AsyncSession,
    model: type[Touchpoint] | type[Observation],
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
) -> int:
    return (
        await session.scalar(
            select(func.count()).where(
                model.workspace_id == workspace_id, model.stage_id == stage_id
            )
        )
        or 0
    )


async def _move_actions(
    session: AsyncSession, workspace_id: uuid.UUID, from_id: uuid.UUID, to_id: uuid.UUID | None
) -> None:
    """Actions follow the stage's content; with nowhere to go they stay on the journey."""
    await session.execute(
        sa.update(Action)
        .where(Action.workspace_id == workspace_id, Action.stage_id == from_id)
        .values(stage_id=to_id)
    )
