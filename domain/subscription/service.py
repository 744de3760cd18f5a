import re
import uuid

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ValidationError
from domain.subscription.models import Subscription

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,20}$")
SUBSCRIPTIONS_PER_CHANNEL_MAX = 50


def checked_channel(channel_id: str) -> str:
    """The channel's id; a direct message (D…) or anything else is refused."""
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
    journey_id: uuid.UUID,
    stage_id: uuid.UUID | None = None,
) -> Subscription:
    """Send a journey's (or one stage's) alerts and digests to a channel; again is a no-op."""
    channel_id = checked_channel(channel_id)
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.workspace_id == workspace_id,
            Subscription.channel_id == channel_id,
            Subscription.journey_id == journey_id,
            Subscription.stage_id.is_(None)
            if stage_id is None
            else Subscription.stage_id == stage_id,
        )
    )
    if existing is not None:
        return existing
    if len(await list_for_channel(session, workspace_id=workspace_id, channel_id=channel_id)) >= (
        SUBSCRIPTIONS_PER_CHANNEL_MAX
    ):
        raise ValidationError(
            f"A channel follows at most {SUBSCRIPTIONS_PER_CHANNEL_MAX} journeys or stages; "
            "unsubscribe from some first.",
            field="channel",
        )
    subscription = Subscription(
        workspace_id=workspace_id, channel_id=channel_id, journey_id=journey_id, stage_id=stage_id
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def unsubscribe(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    channel_id: str,
    journey_id: uuid.UUID | None = None,
) -> int:
    """Stop a channel's subscriptions (to one journey, or all); how many were removed."""
    query = delete(Subscription).where(
        Subscription.workspace_id == workspace_id, Subscription.channel_id == channel_id
    )
    if journey_id is not None:
        query = query.where(Subscription.journey_id == journey_id)
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
