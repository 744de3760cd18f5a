"""Channel subscriptions to a journey or stage named in people's words."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import journey as journey_by_name
from domain.by_name import stage as stage_by_name
from domain.subscription import service as subscription_service
from domain.subscription.models import Subscription


async def subscribe(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    channel_id: str,
    journey: str,
    stage: str | None = None,
) -> tuple[Subscription, str]:
    """Send a journey's (or one stage's) alerts and digests to a channel; again is a no-op.
    Returns the subscription and what it covers in words."""
    # a direct message is refused before anything named in it is looked up
    channel_id = subscription_service.checked_channel(channel_id)
    found, place = await stage_by_name.find_in_journey(
        session, workspace_id=workspace_id, journey=journey, stage=stage
    )
    subscription = await subscription_service.subscribe(
        session,
        workspace_id=workspace_id,
        channel_id=channel_id,
        journey_id=found.id,
        stage_id=place.id if place else None,
    )
    return subscription, place.label if place else found.name


async def unsubscribe(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_id: str, journey: str | None = None
) -> int:
    """Stop a channel's subscriptions (to the journey named, or all); how many were removed."""
    found = (
        await journey_by_name.find(session, workspace_id=workspace_id, name=journey)
        if journey
        else None
    )
    return await subscription_service.unsubscribe(
        session,
        workspace_id=workspace_id,
        channel_id=channel_id,
        journey_id=found.id if found else None,
    )
