"""Fetching a row by id inside one workspace: a foreign or unknown id is simply not found."""

import uuid
from typing import TypeVar

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
