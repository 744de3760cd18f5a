import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.journey.models import DEFAULT_CONVERSION_WINDOW_DAYS, Journey
from domain.lookup import ensure_name_free, get_in_workspace
from domain.persona import service as persona_service
from domain.stage import service as stage_service
from domain.touchpoint.models import Touchpoint
from domain.validation import (
    TEXT_MAX,
    UNSET,
    Unset,
    in_range,
    optional_text,
    required_text,
    time_zone,
)
from domain.vocabulary import Emotion


@dataclass(frozen=True)
class StageSpec:
    """A stage given inline when a journey is created."""

    name: str
    customer_goal: str = ""
    expected_emotion: Emotion | str | None = None


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID) -> Journey:
    return await get_in_workspace(
        session,
        Journey,
        workspace_id=workspace_id,
        id=journey_id,
        field="journeyId",
        label="journey",
    )


async def list_all(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Journey]:
    return list(
        await session.scalars(
            select(Journey).where(Journey.workspace_id == workspace_id).order_by(Journey.name)
        )
    )


def _window(days: int) -> int:
    return in_range(
        days, field="conversionWindowDays", label="The conversion window (days)", low=1, high=365
    )


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    description: str = "",
    persona_id: uuid.UUID | None = None,
    conversion_window_days: int = DEFAULT_CONVERSION_WINDOW_DAYS,
    timezone: str = "UTC",
    stages: Sequence[StageSpec] = (),
) -> Journey:
    """Create a journey, with its stages in order when they are given."""
    name = required_text(name, field="name", label="Journey name")
    await ensure_name_free(session, Journey, workspace_id=workspace_id, name=name, label="journey")
    if persona_id is not None:
        await persona_service.get(session, workspace_id=workspace_id, persona_id=persona_id)
    journey = Journey(
        workspace_id=workspace_id,
        name=name,
        description=optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        ),
        persona_id=persona_id,
        conversion_window_days=_window(conversion_window_days),
        timezone=time_zone(timezone),
    )
    session.add(journey)
    await session.flush()
    for index, spec in enumerate(stages):
        await stage_service.add(
            session,
            workspace_id=workspace_id,
            journey_id=journey.id,
            name=spec.name,
            customer_goal=spec.customer_goal,
            expected_emotion=spec.expected_emotion,
            field_prefix=f"stages.{index}.",
        )
    return journey


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    persona_id: uuid.UUID | Unset | None = UNSET,
    conversion_window_days: int | Unset = UNSET,
    timezone: str | Unset = UNSET,
) -> Journey:
    """Rename a journey or change its settings; arguments not given stay as they are."""
    journey = await get(session, workspace_id=workspace_id, journey_id=journey_id)
    if not isinstance(name, Unset):
        name = required_text(name, field="name", label="Journey name")
        await ensure_name_free(
            session,
            Journey,
            workspace_id=workspace_id,
            name=name,
            label="journey",
            exclude=journey.id,
        )
        journey.name = name
    if not isinstance(description, Unset):
        journey.description = optional_text(
            description, field="description", label="Description", max_length=TEXT_MAX
        )
    if not isinstance(persona_id, Unset):
        if persona_id is not None:
            await persona_service.get(session, workspace_id=workspace_id, persona_id=persona_id)
        journey.persona_id = persona_id
    counted_by = (journey.conversion_window_days, journey.timezone)
    if not isinstance(conversion_window_days, Unset):
        journey.conversion_window_days = _window(conversion_window_days)
    if not isinstance(timezone, Unset):
        journey.timezone = time_zone(timezone)
    await session.flush()
    if (journey.conversion_window_days, journey.timezone) != counted_by:
        # the daily stage rollups are cut in the journey's time zone and count conversions
        # within its window: count them again, and per persona (migrations 0006, 0017)
        for rebuild in ("journey_rollup_rebuild", "journey_persona_rollup_rebuild"):
            await session.execute(
                text(f"SELECT {rebuild}(:workspace, :journey)"),
                {"workspace": workspace_id, "journey": journey.id},
            )
    return journey


async def delete(session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID) -> None:
    """Delete a journey with its stages, touchpoints, observations and actions."""
    journey = await get(session, workspace_id=workspace_id, journey_id=journey_id)
    await session.delete(journey)
    await session.flush()


async def list_for_team(
    session: AsyncSession, *, workspace_id: uuid.UUID, team_id: uuid.UUID
) -> list[Journey]:
    """The journeys in which this team owns at least one touchpoint."""
    owned = select(Touchpoint.journey_id).where(
        Touchpoint.workspace_id == workspace_id, Touchpoint.owner_team_id == team_id
    )
    return list(
        await session.scalars(
            select(Journey)
            .where(Journey.workspace_id == workspace_id, Journey.id.in_(owned))
            .order_by(Journey.name)
        )
    )
