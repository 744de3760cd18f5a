"""Fetching a row by id inside one workspace: a foreign or unknown id is simply not found."""

import uuid
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound

T = TypeVar("T")


async def get_in_workspace(
    session: AsyncSession,
    model: type[T],
    *,
    workspace_id: uuid.UUID,
    id: uuid.UUID,
    field: str,
    label: str,
) -> T:
    """The row of `model` with this id in this workspace, or NotFound naming `field`."""
    row = await session.get(model, (workspace_id, id))
    if row is None:
        raise NotFound(f"No {label} with that id exists in this workspace.", field=field)
    return row


async def get_many_in_workspace(
    session: AsyncSession, model: type[T], *, workspace_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, T]:
    """The rows of `model` with these ids in this workspace, in one query (for DataLoaders);
    foreign and unknown ids are simply absent."""
    rows = await session.scalars(
        select(model).where(
            model.workspace_id == workspace_id,  # type: ignore[attr-defined]
            model.id.in_(list(ids)),  # type: ignore[attr-defined]
        )
    )
    return {row.id: row for row in rows}  # type: ignore[attr-defined]
