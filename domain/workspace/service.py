import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.validation import required_text
from domain.workspace.models import Workspace


async def get(session: AsyncSession, *, workspace_id: uuid.UUID) -> Workspace:
    """The workspace with this id, or NotFound."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("That workspace does not exist.", field="workspaceId")
    return workspace


async def get_by_name(session: AsyncSession, *, name: str) -> Workspace | None:
    return await session.scalar(select(Workspace).where(Workspace.name == name.strip()))


async def get_or_create(session: AsyncSession, *, name: str) -> tuple[Workspace, bool]:
    """The workspace called `name`, created if new; the flag says whether it was."""
    name = required_text(name, field="name", label="Workspace name")
    existing = await get_by_name(session, name=name)
    if existing is not None:
        return existing, False
    workspace = Workspace(name=name)
    session.add(workspace)
    await session.flush()
    return workspace, True


async def list_all(session: AsyncSession) -> list[Workspace]:
    return list(await session.scalars(select(Workspace).order_by(Workspace.name)))
