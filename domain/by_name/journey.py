"""Journeys by name: the one meant, a journey and its stage said in one breath, its map."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import matching
from domain.errors import ErrorCode, NotFound, ValidationError
from domain.journey import service as journey_service
from domain.journey import summary
from domain.journey.models import Journey
from domain.lookup import find_by_name


async def get_by_name(
    session: AsyncSession, *, workspace_id: uuid.UUID, name: str
) -> Journey | None:
    """The journey called exactly `name` (any case), or None: for scripts, not people."""
    return await find_by_name(session, Journey, workspace_id=workspace_id, name=name)


async def find(session: AsyncSession, *, workspace_id: uuid.UUID, name: str | None) -> Journey:
    """The journey `name` means (forgiving case and typos); with no name, the only journey."""
    journeys = await journey_service.list_all(session, workspace_id=workspace_id)
    if not (name or "").strip():
        if len(journeys) == 1:
            return journeys[0]
        if not journeys:
            raise NotFound("This workspace has no journey yet.", field="journey")
        raise ValidationError(
            "Say which journey: " + ", ".join(j.name for j in journeys) + ".",
            field="journey",
            code=ErrorCode.REQUIRED,
        )
    return matching.one(
        name or "",
        journeys,
        lambda journey: [journey.name],
        label="journey",
        field="journey",
        describe=lambda journey: journey.name,
    )


async def find_with_stage(
    session: AsyncSession, *, workspace_id: uuid.UUID, name: str | None, stage: str | None
) -> tuple[Journey, str | None]:
    """The journey and stage words meant by `name`: with no stage given, `online purchase
    decision` is read as journey “Online purchase”, stage “decision” when the leading words
    are exactly a journey's name; otherwise `name` is the journey (forgiving, as `find`)."""
    words = (name or "").split()
    if stage is None and len(words) > 1:
        by_name = {
            matching.normalise(j.name): j
            for j in await journey_service.list_all(session, workspace_id=workspace_id)
        }
        for count in range(len(words) - 1, 0, -1):
            journey = by_name.get(matching.normalise(" ".join(words[:count])))
            if journey is not None and matching.normalise(" ".join(words)) not in by_name:
                return journey, " ".join(words[count:])
    return await find(session, workspace_id=workspace_id, name=name), stage


async def containing(session: AsyncSession, *, workspace_id: uuid.UUID, text: str) -> list[Journey]:
    """The journeys whose name contains `text`, any case: a picker's options as people type."""
    typed = text.strip().lower()
    journeys = await journey_service.list_all(session, workspace_id=workspace_id)
    return [journey for journey in journeys if typed in journey.name.lower()]


async def summarise(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey: str | None, days: int = 90
) -> summary.JourneyMap:
    """The map of the journey `journey` names (forgiving), or of the only journey."""
    found = await find(session, workspace_id=workspace_id, name=journey)
    return await summary.summarise(
        session, workspace_id=workspace_id, journey_id=found.id, days=days
    )
