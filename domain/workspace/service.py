import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict, NotFound
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


async def for_chat_team(
    session: AsyncSession, *, chat_team_id: str, chat_team_name: str, one_per_team: bool
) -> Workspace:
    """The workspace a chat (Slack) team belongs to, linking it on first contact.

    Linked already → that one. Otherwise the only unlinked workspace is linked (a fresh
    install gets one created); with several, ConflictError says which command links one.
    `one_per_team` (apps installed by many teams) always creates a new workspace instead.
    """
    linked_query = select(Workspace).where(Workspace.slack_team_id == chat_team_id)
    linked = await session.scalar(linked_query)
    if linked is not None:
        return linked
    # Slack's first requests often come in bursts: link once, the others wait and find it.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"chat:{chat_team_id}"))))
    linked = await session.scalar(linked_query)
    if linked is not None:
        return linked
    unlinked = list(
        await session.scalars(
            select(Workspace).where(Workspace.slack_team_id.is_(None)).order_by(Workspace.name)
        )
    )
    if one_per_team or not unlinked:
        workspace, _ = await get_or_create(
            session, name=f"{chat_team_name or 'Slack'} ({chat_team_id})"
        )
        workspace.slack_team_id = chat_team_id
    elif len(unlinked) == 1:
        workspace = unlinked[0]
        workspace.slack_team_id = chat_team_id
    else:
        names = ", ".join(w.name for w in unlinked)
        raise Conflict(
            f"This Slack workspace is not linked to a JourneyOps workspace yet, and there are "
            f"several ({names}). Link one with: "
            f'`journeyops slack-link --workspace "<name>" --team {chat_team_id}`.',
            field="workspace",
        )
    await session.flush()
    return workspace


async def link_chat_team(session: AsyncSession, *, name: str, chat_team_id: str) -> Workspace:
    """Link a chat (Slack) team to the workspace called `name` (unlinking it elsewhere)."""
    workspace = await get_by_name(session, name=name)
    if workspace is None:
        raise NotFound(f"No workspace is called “{name}”.", field="workspace")
    previous = await session.scalar(
        select(Workspace).where(Workspace.slack_team_id == chat_team_id)
    )
    if previous is not None and previous.id != workspace.id:
        previous.slack_team_id = None
        await session.flush()
    workspace.slack_team_id = chat_team_id
    await session.flush()
    return workspace
