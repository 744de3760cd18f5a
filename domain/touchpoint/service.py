import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Duplicate, ErrorCode, ValidationError
from domain.lookup import get_in_workspace
from domain.metrics import remap
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint
from domain.validation import (
    UNSET,
    Unset,
    one_of,
    required_text,
    slug,
    storable_text,
    touchpoint_key,
)
from domain.vocabulary import Channel

NAME_MAX = 120
EVENT_NAME_MAX = 200
EVENT_NAMES_MAX = 50
TOUCHPOINTS_PER_STAGE_MAX = 50


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, touchpoint_id: uuid.UUID
) -> Touchpoint:
    return await get_in_workspace(
        session,
        Touchpoint,
        workspace_id=workspace_id,
        id=touchpoint_id,
        field="touchpointId",
        label="touchpoint",
    )


async def list_for_journey(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID
) -> list[Touchpoint]:
    return list(
        await session.scalars(
            select(Touchpoint)
            .where(Touchpoint.workspace_id == workspace_id, Touchpoint.journey_id == journey_id)
            .order_by(Touchpoint.created_at, Touchpoint.key)
        )
    )


async def list_for_stages(
    session: AsyncSession, *, workspace_id: uuid.UUID, stage_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Touchpoint]]:
    """Touchpoints of many stages in one query, keyed by stage id (for DataLoaders)."""
    ids = list(stage_ids)
    grouped: dict[uuid.UUID, list[Touchpoint]] = {stage_id: [] for stage_id in ids}
    rows = await session.scalars(
        select(Touchpoint)
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.stage_id.in_(ids))
        .order_by(Touchpoint.created_at, Touchpoint.key)
    )
    for touchpoint in rows:
        grouped[touchpoint.stage_id].append(touchpoint)
    return grouped


def clean_event_names(names: Iterable[str]) -> list[str]:
    """Trimmed, de-duplicated event names, in the order given. Names are case-sensitive, as
    pipelines send them ("Order Completed")."""
    cleaned: list[str] = []
    for name in names:
        name = storable_text(name.strip(), field="eventNames", label="An event name")
        if not name:
            continue
        if len(name) > EVENT_NAME_MAX:
            raise ValidationError(
                f"Event name “{name[:40]}…” is longer than {EVENT_NAME_MAX} characters.",
                field="eventNames",
                code=ErrorCode.TOO_LONG,
            )
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > EVENT_NAMES_MAX:
        raise ValidationError(
            f"A touchpoint maps at most {EVENT_NAMES_MAX} event names.",
            field="eventNames",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return cleaned


async def _ensure_events_unmapped(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    names: list[str],
    exclude: uuid.UUID | None,
) -> None:
    """Within a journey an event name means one touchpoint, or metrics would be ambiguous.

    Two transactions mapping the same name at once would each see it free; mapping events in
    a journey therefore takes turns (a lock held until the transaction ends), so the second
    sees the first's touchpoint."""
    if not names:
        return
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"journey-events:{journey_id}")))
    )
    clash = await session.scalar(
        select(Touchpoint).where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.journey_id == journey_id,
            Touchpoint.event_names.overlap(names),
            Touchpoint.id != exclude if exclude else sa.true(),
        )
    )
    if clash is not None:
        shared = sorted(set(clash.event_names) & set(names))
        raise Duplicate(
            f"Event “{shared[0]}” already means touchpoint “{clash.name}” in this journey; "
            "an event name can mark only one touchpoint per journey.",
            field="eventNames",
        )


async def _key_taken(
    session: AsyncSession, workspace_id: uuid.UUID, journey_id: uuid.UUID, key: str
) -> Touchpoint | None:
    return await session.scalar(
        select(Touchpoint).where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.journey_id == journey_id,
            Touchpoint.key == key,
        )
    )


async def _free_key(
    session: AsyncSession, workspace_id: uuid.UUID, journey_id: uuid.UUID, name: str
) -> str:
    """A key derived from the name, suffixed -2, -3… until it is free in the journey."""
    base = slug(name)[:60]
    key, n = base, 1
    while await _key_taken(session, workspace_id, journey_id, key):
        n += 1
        key = f"{base}-{n}"
    return key


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


async def add(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
    name: str,
    channel: Channel | str,
    key: str | None = None,
    owner_team_id: uuid.UUID | None = None,
    event_names: Iterable[str] = (),
) -> Touchpoint:
    """Add a touchpoint to a stage; its key (unique in the journey) defaults to its name."""
    stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
    name = required_text(name, field="name", label="Touchpoint name", max_length=NAME_MAX)
    channel = one_of(Channel, channel, field="channel", label="Channel")
    if key:
        key = touchpoint_key(key)
        existing = await _key_taken(session, workspace_id, stage.journey_id, key)
        if existing:
            raise Duplicate(
                f"Key “{key}” is already touchpoint “{existing.name}” in this journey.",
                field="key",
            )
    else:
        key = await _free_key(session, workspace_id, stage.journey_id, name)
    names = clean_event_names(event_names)
    await _ensure_events_unmapped(session, workspace_id, stage.journey_id, names, None)
    count = await session.scalar(
        select(func.count()).where(
            Touchpoint.workspace_id == workspace_id, Touchpoint.stage_id == stage.id
        )
    )
    if (count or 0) >= TOUCHPOINTS_PER_STAGE_MAX:
        raise ValidationError(
            f"A stage has at most {TOUCHPOINTS_PER_STAGE_MAX} touchpoints.",
            field="stageId",
            code=ErrorCode.OUT_OF_RANGE,
        )
    touchpoint = Touchpoint(
        workspace_id=workspace_id,
        journey_id=stage.journey_id,
        stage_id=stage.id,
        key=key,
        name=name,
        channel=channel,
        owner_team_id=await _owner(session, workspace_id, owner_team_id),
        event_names=names,
    )
    session.add(touchpoint)
    await session.flush()
    if names:  # events already received under these names now count (a backfill)
        await remap.remap(
            session, workspace_id=workspace_id, journey_id=stage.journey_id, event_names=names
        )
    return touchpoint


async def update(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    touchpoint_id: uuid.UUID,
    name: str | Unset = UNSET,
    key: str | Unset = UNSET,
    channel: Channel | str | Unset = UNSET,
    owner_team_id: uuid.UUID | Unset | None = UNSET,
    event_names: Iterable[str] | Unset = UNSET,
    stage_id: uuid.UUID | Unset = UNSET,
) -> Touchpoint:
    """Edit a touchpoint or move it to another stage of its journey (its observations follow)."""
    touchpoint = await get(session, workspace_id=workspace_id, touchpoint_id=touchpoint_id)
    remapped = set(touchpoint.event_names)
    if not isinstance(name, Unset):
        touchpoint.name = required_text(
            name, field="name", label="Touchpoint name", max_length=NAME_MAX
        )
    if not isinstance(key, Unset):
        new_key = touchpoint_key(key)
        existing = await _key_taken(session, workspace_id, touchpoint.journey_id, new_key)
        if existing and existing.id != touchpoint.id:
            raise Duplicate(
                f"Key “{new_key}” is already touchpoint “{existing.name}” in this journey.",
                field="key",
            )
        touchpoint.key = new_key
    if not isinstance(channel, Unset):
        touchpoint.channel = one_of(Channel, channel, field="channel", label="Channel")
    if not isinstance(owner_team_id, Unset):
        touchpoint.owner_team_id = await _owner(session, workspace_id, owner_team_id)
    if not isinstance(event_names, Unset):
        names = clean_event_names(event_names)
        await _ensure_events_unmapped(
            session, workspace_id, touchpoint.journey_id, names, touchpoint.id
        )
        remapped ^= set(names)  # names gained or lost
        touchpoint.event_names = names
    if not isinstance(stage_id, Unset) and stage_id != touchpoint.stage_id:
        await _move(session, touchpoint, stage_id)
        remapped |= set(touchpoint.event_names)
    await session.flush()
    if remapped:
        await remap.remap(
            session,
            workspace_id=workspace_id,
            journey_id=touchpoint.journey_id,
            event_names=remapped,
        )
    return touchpoint


async def _move(session: AsyncSession, touchpoint: Touchpoint, stage_id: uuid.UUID) -> None:
    stage = await stage_service.get(
        session, workspace_id=touchpoint.workspace_id, stage_id=stage_id
    )
    if stage.journey_id != touchpoint.journey_id:
        raise ValidationError(
            "A touchpoint can move only to another stage of its own journey.", field="stageId"
        )
    touchpoint.stage_id = stage.id
    await session.execute(
        sa.update(Observation)
        .where(
            Observation.workspace_id == touchpoint.workspace_id,
            Observation.touchpoint_id == touchpoint.id,
        )
        .values(stage_id=stage.id)
    )


async def delete(
    session: AsyncSession, *, workspace_id: uuid.UUID, touchpoint_id: uuid.UUID
) -> None:
    """Delete a touchpoint; its observations stay, logged against its stage."""
    touchpoint = await get(session, workspace_id=workspace_id, touchpoint_id=touchpoint_id)
    await session.execute(
        sa.update(Observation)
        .where(
            Observation.workspace_id == workspace_id,
            Observation.touchpoint_id == touchpoint.id,
        )
        .values(touchpoint_id=None)
    )
    names, journey_id = list(touchpoint.event_names), touchpoint.journey_id
    await session.delete(touchpoint)
    await session.flush()
    if names:
        await remap.remap(
            session, workspace_id=workspace_id, journey_id=journey_id, event_names=names
        )
