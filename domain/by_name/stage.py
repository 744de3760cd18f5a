"""Stages by name: with their journey's name, as people tell same-named stages apart."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import journey as journey_by_name
from domain.by_name import matching
from domain.errors import NotFound
from domain.journey.models import Journey
from domain.stage.models import Stage
from domain.validation import required_text


@dataclass(frozen=True)
class StagePlace:
    """A stage with the name of its journey, for telling same-named stages apart.
    Plain values, so that it outlives its session (errors carry places past a rollback)."""

    id: uuid.UUID
    name: str
    journey_id: uuid.UUID
    journey_name: str

    @property
    def label(self) -> str:
        return f"{self.journey_name} › {self.name}"


async def places(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    search: str = "",
    limit: int | None = None,
) -> list[StagePlace]:
    """Stages with their journey's name, narrowed by journey, id or a part of the name."""
    query = (
        select(Stage.id, Stage.name, Stage.journey_id, Journey.name)
        .join(
            Journey,
            (Journey.workspace_id == Stage.workspace_id) & (Journey.id == Stage.journey_id),
        )
        .where(Stage.workspace_id == workspace_id)
        .order_by(Journey.name, Stage.position)
    )
    if journey_id is not None:
        query = query.where(Stage.journey_id == journey_id)
    if stage_id is not None:
        query = query.where(Stage.id == stage_id)
    if search.strip():
        pattern = matching.contains_pattern(search)
        query = query.where(Stage.name.ilike(pattern) | Journey.name.ilike(pattern))
    if limit is not None:
        query = query.limit(limit)
    return [StagePlace(*row) for row in await session.execute(query)]


async def find(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str | uuid.UUID,
    journey_id: uuid.UUID | None = None,
) -> StagePlace:
    """The stage `name` means (or the one with that id), in one journey or any; “journey ›
    stage” tells same-named stages of different journeys apart."""
    if isinstance(name, uuid.UUID):
        found = await places(session, workspace_id=workspace_id, stage_id=name)
        if not found:
            raise NotFound("That stage does not exist any more.", field="stage")
        return found[0]
    required_text(name, field="stage", label="Stage name")
    return matching.one(
        name.replace(">", "›"),
        await places(session, workspace_id=workspace_id, journey_id=journey_id),
        lambda place: [place.name, place.label, f"{place.journey_name} {place.name}"],
        label="stage",
        field="stage",
        describe=lambda place: place.label,
    )


async def find_in_journey(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey: str | None, stage: str | None
) -> tuple[Journey, StagePlace | None]:
    """The journey and (when one is named) the stage that people's words mean, as in
    `online purchase › decision` or `online purchase decision` (forgiving case and typos)."""
    found, stage = await journey_by_name.find_with_stage(
        session, workspace_id=workspace_id, name=journey, stage=stage
    )
    if not stage:
        return found, None
    return found, await find(session, workspace_id=workspace_id, name=stage, journey_id=found.id)
