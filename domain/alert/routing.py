"""Which Slack channels hear of an alert at a stage.

Two routes, merged without repeats: the channels subscribed to the journey or the stage (kept
by the Slack bot: `/journey subscribe`), and the channels of the teams owning the stage's
touchpoints (domain.team, domain.touchpoint).
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.subscription import service as subscription_service
from domain.team.models import Team
from domain.touchpoint.models import Touchpoint


async def owner_team_channels(
    session: AsyncSession, *, workspace_id: uuid.UUID, stage_id: uuid.UUID
) -> list[str]:
    """The channels of the teams owning the stage's touchpoints, each once."""
    rows = await session.scalars(
        select(Team.slack_channel_id)
        .join(
            Touchpoint,
            (Touchpoint.workspace_id == Team.workspace_id) & (Touchpoint.owner_team_id == Team.id),
        )
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.stage_id == stage_id,
            Team.slack_channel_id.is_not(None),
        )
        .group_by(Team.slack_channel_id)
        .order_by(Team.slack_channel_id)
    )
    return [channel for channel in rows if channel]


async def channels_for_stage(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID,
) -> list[str]:
    """Subscribed channels first, then the owning teams' channels, each once."""
    channels = await subscription_service.channels_for(
        session, workspace_id=workspace_id, journey_id=journey_id, stage_id=stage_id
    )
    channels += await owner_team_channels(session, workspace_id=workspace_id, stage_id=stage_id)
    return list(dict.fromkeys(channels))
