"""Fetching a row by id inside one workspace: a foreign or unknown id is simply not found."""

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Duplicate, NotFound

T = TypeVar("T")


async def get_in_workspace(
    session: AsyncSession,
    model: type[T],
    *,
    workspace_id: uuid.UUID,
    id: uuid.UUID,
    field: str,
    label: str,
    for_update: bool = False,
) -> T:
    """The row of `model` with this id in this workspace, or NotFound naming `field`.

    `for_update` locks the row until the transaction ends (SELECT … FOR UPDATE) and reads it
    afresh once the lock is granted, so changes to one row take turns and each sees the last.
    """
    row = await session.get(
        model,
        (workspace_id, id),
        with_for_update=True if for_update else None,
        populate_existing=for_update,
    )
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


async def find_by_name(
    session: AsyncSession, model: type[T], *, workspace_id: uuid.UUID, name: str
) -> T | None:
    """The row of `model` called `name` in this workspace, ignoring case and outer spaces."""
    table: Any = model
    return await session.scalar(
        select(model).where(
            table.workspace_id == workspace_id,
            func.lower(table.name) == name.strip().lower(),
        )
    )


async def ensure_name_free(
    session: AsyncSession,
    model: type[T],
    *,
    workspace_id: uuid.UUID,
    name: str,
    label: str,
    exclude: uuid.UUID | None = None,
) -> None:
    """Duplicate unless no other row of `model` in the workspace has this name (any case)."""
    existing: Any = await find_by_name(session, model, workspace_id=workspace_id, name=name)
    if existing is not None and existing.id != exclude:
        raise Duplicate(f"A {label} called “{existing.name}” already exists.", field="name")
