"""Touchpoints by key or name, with their stage and journey, as people tell them apart."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import matching
from domain.journey.models import Journey
from domain.stage.models import Stage
from domain.touchpoint.models import Touchpoint
from domain.touchpoint.service import NAME_MAX
from domain.validation import required_text


@dataclass(frozen=True)
class TouchpointPlace:
    """A touchpoint with its stage and journey names, as people tell touchpoints apart.
    Plain values, so that it outlives its session (errors carry places past a rollback)."""

    id: uuid.UUID
    key: str
    name: str
    stage_name: str
    journey_name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.journey_name} › {self.stage_name})"


async def places(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    search: str = "",
    limit: int | None = None,
) -> list[TouchpointPlace]:
    """Touchpoints with where they are, optionally narrowed by journey, stage and a name part."""
    query = (
        select(Touchpoint.id, Touchpoint.key, Touchpoint.name, Stage.name, Journey.name)
        .join(
            Stage,
            (Stage.workspace_id == Touchpoint.workspace_id) & (Stage.id == Touchpoint.stage_id),
        )
        .join(
            Journey,
            (Journey.workspace_id == Touchpoint.workspace_id)
            & (Journey.id == Touchpoint.journey_id),
        )
        .where(Touchpoint.workspace_id == workspace_id)
        .order_by(Journey.name, Stage.position, Touchpoint.name)
    )
    if journey_id is not None:
        query = query.where(Touchpoint.journey_id == journey_id)
    if stage_id is not None:
        query = query.where(Touchpoint.stage_id == stage_id)
    if search.strip():
        pattern = matching.contains_pattern(search)
        query = query.where(Touchpoint.name.ilike(pattern) | Touchpoint.key.ilike(pattern))
    if limit is not None:
        query = query.limit(limit)
    return [TouchpointPlace(*row) for row in await session.execute(query)]


async def find(session: AsyncSession, *, workspace_id: uuid.UUID, query: str) -> TouchpointPlace:
    """The touchpoint `query` names by key or name, forgiving case and small typos; several
    equally good → matching.Ambiguous with candidates, none → matching.Unknown with the closest."""
    required_text(query, field="touchpoint", label="Touchpoint", max_length=NAME_MAX)
    return matching.one(
        query,
        await places(session, workspace_id=workspace_id),
        lambda place: [place.key, place.name],
        label="touchpoint",
        field="touchpoint",
        describe=lambda place: place.label,
    )


NAME_WORDS_MAX = 6


async def split_name(
    session: AsyncSession, *, workspace_id: uuid.UUID, first: str, rest: str
) -> tuple[str, str]:
    """`product page Reviews are hidden` → ("product page", "Reviews are hidden"): when the
    first word and some that follow are exactly a touchpoint's key or name (any case), they
    name it without quotes; otherwise the first word alone does."""
    names = {
        matching.normalise(name)
        for place in await places(session, workspace_id=workspace_id)
        for name in (place.key, place.name)
    }
    words = rest.split(maxsplit=NAME_WORDS_MAX)
    for count in range(min(len(words), NAME_WORDS_MAX - 1), 0, -1):
        if matching.normalise(" ".join([first, *words[:count]])) in names:
            remaining = rest.split(maxsplit=count)
            return " ".join([first, *words[:count]]), (
                remaining[count] if len(remaining) > count else ""
            )
    return first, rest
