"""Mentions: "+1, I saw the same" on an observation, so one problem is counted once.

The observation's author already raised it: their own +1 changes nothing, like a second +1 by
anyone (a double click, a Slack retry). The unique key (observation, person) and ON CONFLICT
DO NOTHING make two +1s arriving together count once too.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Forbidden, ValidationError
from domain.lookup import get_in_workspace
from domain.mention.models import Mention
from domain.observation import service as observation_service
from domain.observation.models import Observation
from domain.team.models import Team
from domain.validation import required_text


async def mention(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    observation_id: uuid.UUID,
    author_id: str,
    author_name: str,
    author_team_id: uuid.UUID | None = None,
) -> Observation:
    """Record that `author_id` saw the same as the observation says; once per person."""
    observation = await observation_service.get(
        session, workspace_id=workspace_id, observation_id=observation_id
    )
    author_id = required_text(author_id, field="authorId", label="Author id", max_length=64)
    author_name = required_text(
        author_name, field="authorName", label="Author name", max_length=120
    )
    if author_team_id is not None:
        await get_in_workspace(
            session,
            Team,
            workspace_id=workspace_id,
            id=author_team_id,
            field="authorTeamId",
            label="team",
        )
    if author_id == observation.author_id:
        return observation
    await session.execute(
        insert(Mention)
        .values(
            workspace_id=workspace_id,
            id=uuid.uuid4(),
            observation_id=observation.id,
            author_id=author_id,
            author_name=author_name,
            author_team_id=author_team_id,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "observation_id", "author_id"])
    )
    return observation


async def same_as(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    observation_id: uuid.UUID,
    copy_id: uuid.UUID,
    author_id: str,
    author_name: str,
) -> Observation:
    """The observation `author_id` just logged (`copy_id`) says the same as an earlier one: it
    becomes their +1 (with the copy's team) on the earlier one, and the copy is removed, so
    the problem is counted once. Only the copy's author may do so. Once the copy is gone (a
    second click, a retried request), the +1 recorded then stands and nothing changes."""
    if copy_id == observation_id:
        raise ValidationError("An observation cannot be the same as itself.", field="copyId")
    copy = await session.get(Observation, (workspace_id, copy_id), with_for_update=True)
    if copy is not None and copy.author_id != author_id:
        raise Forbidden("Only its author can count their observation as a +1.", field="copyId")
    earlier = await mention(
        session,
        workspace_id=workspace_id,
        observation_id=observation_id,
        author_id=author_id,
        author_name=author_name,
        author_team_id=copy.author_team_id if copy else None,
    )
    if copy is not None:
        await session.delete(copy)
        await session.flush()
    return earlier


async def of_observations(
    session: AsyncSession, *, workspace_id: uuid.UUID, observation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Mention]]:
    """Each observation's mentions, oldest first, in one query (for DataLoaders)."""
    ids = list(observation_ids)
    grouped: dict[uuid.UUID, list[Mention]] = {observation_id: [] for observation_id in ids}
    rows = await session.scalars(
        select(Mention)
        .where(Mention.workspace_id == workspace_id, Mention.observation_id.in_(ids))
        .order_by(Mention.created_at, Mention.id)
    )
    for row in rows:
        grouped[row.observation_id].append(row)
    return grouped


@dataclass(frozen=True)
class Raised:
    """How often a problem was raised: by its observation's author and everyone who +1'd it."""

    times: int
    teams: int  # distinct teams among them; people without a team are not counted

    @property
    def mentioned(self) -> bool:
        return self.times > 1

    def __str__(self) -> str:
        times = f"raised {self.times} time{'s' if self.times != 1 else ''}"
        if not self.teams:
            return times
        return f"{times} by {self.teams} team{'s' if self.teams != 1 else ''}"


async def raised(
    session: AsyncSession, *, workspace_id: uuid.UUID, observation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Raised]:
    """How often, and by how many teams, each observation was raised, in one query."""
    ids = list(observation_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Observation.id,
            Observation.author_team_id,
            func.count(Mention.id),
            func.array_agg(Mention.author_team_id.distinct()),
        )
        .outerjoin(
            Mention,
            (Mention.workspace_id == Observation.workspace_id)
            & (Mention.observation_id == Observation.id),
        )
        .where(Observation.workspace_id == workspace_id, Observation.id.in_(ids))
        .group_by(Observation.id, Observation.author_team_id)
    )
    result: dict[uuid.UUID, Raised] = {}
    for observation_id, team_id, mentions, mention_teams in rows:
        teams = {team for team in (team_id, *mention_teams) if team is not None}
        result[observation_id] = Raised(times=1 + mentions, teams=len(teams))
    return result
