import re
import uuid

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ValidationError
from domain.journey import service as journey_service
from domain.stage import service as stage_service
from domain.subscription.models import Subscription

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,20}$")
SUBSCRIPTIONS_PER_CHANNEL_MAX = 50


def _channel(channel_id: str) -> str:
    if not CHANNEL_ID.match(channel_id or ""):
        raise ValidationError(
            "Subscribe from the channel that should receive the alerts, not a direct message.",
            field="channel",
        )
    return channel_id


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
    channel_id = _channel(channel_id)
    found, stage_place = await stage_service.find_in_journey(
        session, workspace_id=workspace_id, journey=journey, stage=stage
    )
    stage_id = stage_place.id if stage_place else None
    covers = stage_place.label if stage_place else found.name
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.workspace_id == workspace_id,
            Subscription.channel_id == channel_id,
            Subscription.journey_id == found.id,
            Subscription.stage_id.is_(None)
            if stage_id is None
            else Subscription.stage_id == stage_id,
        )
    )
    if existing is not None:
        return existing, covers
    if len(await list_for_channel(session, workspace_id=workspace_id, channel_id=channel_id)) >= (
        SUBSCRIPTIONS_PER_CHANNEL_MAX
    ):
        raise ValidationError(
            f"A channel follows at most {SUBSCRIPTIONS_PER_CHANNEL_MAX} journeys or stages; "
            "unsubscribe from some first.",
            field="channel",
        )
    subscription = Subscription(
        workspace_id=workspace_id, channel_id=channel_id, journey_id=found.id, stage_id=stage_id
    )
    session.add(subscription)
    await session.flush()
    return subscription, covers


async def unsubscribe(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_id: str, journey: str | None = None
) -> int:
    """Stop a channel's subscriptions (to one journey, or all); how many were removed."""
    query = delete(Subscription).where(
        Subscription.workspace_id == workspace_id, Subscription.channel_id == channel_id
    )
    if journey:
        found = await journey_service.find(session, workspace_id=workspace_id, name=journey)
        query = query.where(Subscription.journey_id == found.id)
    result = await session.execute(query)
    return result.rowcount  # type: ignore[attr-defined]


async def list_for_channel(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_id: str
) -> list[Subscription]:
    return list(
        await session.scalars(
            select(Subscription).where(
                Subscription.workspace_id == workspace_id, Subscription.channel_id == channel_id
            )
        )
    )


async def channels_for(
    session: AsyncSession, *, workspace_id: uuid.UUID, journey_id: uuid.UUID, stage_id: uuid.UUID
) -> list[str]:
    """The channels that want news of this stage: subscribed to it or to its whole journey."""
    rows = await session.scalars(
        select(Subscription.channel_id)
        .where(
            Subscription.workspace_id == workspace_id,
            Subscription.journey_id == journey_id,
            or_(Subscription.stage_id.is_(None), Subscription.stage_id == stage_id),
        )
        .distinct()
        .order_by(Subscription.channel_id)
    )
    return list(rows)
