"""The outbox of Slack messages: written with their cause, delivered later, each exactly once.

A dispatcher claims due messages (FOR UPDATE SKIP LOCKED, then a lease renewed per message),
delivers them outside any transaction and records the outcome. A dispatcher that dies
mid-delivery leaves its claims to expire; the next attempt first looks for the message in Slack
(posts carry their id in message metadata) so that a post which did arrive is recorded, not
repeated.

Updates and replies wait for their parent post (they need its `ts`) and go out in the order
they were written, so a message never shows an older state after a newer one.
"""

import uuid
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.notification.models import Notification, NotificationKind, NotificationStatus

ERROR_MAX = 1000


async def post_alert(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID,
    channel_ids: Iterable[str],
) -> None:
    """Queue the alert's message for each channel (once per channel, however often named)."""
    channels = list(dict.fromkeys(c for c in channel_ids if c))
    if not channels:
        return
    await session.execute(
        insert(Notification)
        .values(
            [
                {
                    "workspace_id": workspace_id,
                    "id": uuid.uuid4(),
                    "alert_id": alert_id,
                    "channel_id": channel,
                    "kind": NotificationKind.POST,
                    "text": "",
                    "status": NotificationStatus.PENDING,
                    "attempts": 0,
                    "created_at": func.clock_timestamp(),
                }
                for channel in channels
            ]
        )
        .on_conflict_do_nothing()
    )


async def post_action(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID, channel_id: str
) -> None:
    """Queue the action's message for its owning team's channel (once, however often asked)."""
    await session.execute(
        insert(Notification)
        .values(
            workspace_id=workspace_id,
            id=uuid.uuid4(),
            action_id=action_id,
            channel_id=channel_id,
            kind=NotificationKind.POST,
            text="",
            status=NotificationStatus.PENDING,
            attempts=0,
            created_at=func.clock_timestamp(),
        )
        .on_conflict_do_nothing()
    )


async def post_digest(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_id: str, text: str
) -> Notification:
    """Queue a team digest for its channel; `text` is the fallback where blocks do not show."""
    notification = Notification(
        workspace_id=workspace_id,
        channel_id=channel_id,
        kind=NotificationKind.DIGEST,
        text=text,
        status=NotificationStatus.PENDING,
        attempts=0,
    )
    session.add(notification)
    await session.flush()
    return notification


async def _posts(
    session: AsyncSession, workspace_id: uuid.UUID, alert_id: uuid.UUID
) -> list[Notification]:
    return list(
        await session.scalars(
            select(Notification).where(
                Notification.workspace_id == workspace_id,
                Notification.alert_id == alert_id,
                Notification.kind == NotificationKind.POST,
                Notification.status != NotificationStatus.FAILED,
            )
        )
    )


async def update_alert(
    session: AsyncSession, *, workspace_id: uuid.UUID, alert_id: uuid.UUID
) -> None:
    """Queue an in-place update of the alert's message in every channel it went to.

    Messages are rendered when sent, so an update still waiting unclaimed will already show
    this change: a second one is not queued (a burst of clicks costs one chat.update).
    """
    await _update_posts(session, await _posts(session, workspace_id, alert_id))


async def update_action(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> None:
    """Queue an in-place update of the action's message, like `update_alert`."""
    await _update_posts(
        session, await action_posts(session, workspace_id=workspace_id, action_id=action_id)
    )


async def _update_posts(session: AsyncSession, posts: list[Notification]) -> None:
    for post in posts:
        waiting = await session.scalar(
            select(Notification.id).where(
                Notification.workspace_id == post.workspace_id,
                Notification.parent_id == post.id,
                Notification.kind == NotificationKind.UPDATE,
                Notification.status == NotificationStatus.PENDING,
                sa.or_(
                    Notification.claimed_until.is_(None), Notification.claimed_until < func.now()
                ),
            )
        )
        if waiting is None:
            session.add(_child(post, NotificationKind.UPDATE))
    await session.flush()


async def reply_to_alert(
    session: AsyncSession, *, workspace_id: uuid.UUID, alert_id: uuid.UUID, text: str
) -> None:
    """Queue a note in the thread of the alert's message in every channel it went to."""
    for post in await _posts(session, workspace_id, alert_id):
        session.add(_child(post, NotificationKind.REPLY, text))
    await session.flush()


def _child(post: Notification, kind: NotificationKind, text: str = "") -> Notification:
    return Notification(
        workspace_id=post.workspace_id,
        alert_id=post.alert_id,
        action_id=post.action_id,
        parent_id=post.id,
        channel_id=post.channel_id,
        kind=kind,
        text=text,
        status=NotificationStatus.PENDING,
        attempts=0,
        # The time of writing, not of the transaction: siblings go out in the order written.
        created_at=func.clock_timestamp(),
    )


async def claim_due(session: AsyncSession, *, limit: int, lease: timedelta) -> list[Notification]:
    """Claim up to `limit` due messages for `lease`; commit right after, then deliver them.

    Rows another dispatcher is claiming are skipped, not waited for; a claimed row is not due
    again until its lease ends. Each claim counts as an attempt.
    """
    parent = aliased(Notification)
    earlier = aliased(Notification)
    now = func.now()
    due = (
        select(Notification.workspace_id, Notification.id)
        .outerjoin(
            parent,
            sa.and_(
                parent.workspace_id == Notification.workspace_id,
                parent.id == Notification.parent_id,
            ),
        )
        .where(
            Notification.status == NotificationStatus.PENDING,
            Notification.next_attempt_at <= now,
            sa.or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
            sa.or_(Notification.parent_id.is_(None), parent.status == NotificationStatus.SENT),
            ~sa.exists().where(
                earlier.workspace_id == Notification.workspace_id,
                earlier.parent_id == Notification.parent_id,
                earlier.status == NotificationStatus.PENDING,
                sa.tuple_(earlier.created_at, earlier.id)
                < sa.tuple_(Notification.created_at, Notification.id),
            ),
        )
        .order_by(Notification.next_attempt_at, Notification.created_at)
        .limit(limit)
        .with_for_update(of=Notification, skip_locked=True)
    )
    claimed = await session.scalars(
        sa.update(Notification)
        .where(sa.tuple_(Notification.workspace_id, Notification.id).in_(due.scalar_subquery()))
        .values(claimed_until=now + lease, attempts=Notification.attempts + 1)
        .returning(Notification)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(claimed, key=lambda n: (n.created_at, n.id))


async def renew_claim(
    session: AsyncSession, notification: Notification, *, lease: timedelta
) -> bool:
    """Extend our claim right before delivering; False when it lapsed and another dispatcher
    has claimed the message since (the claim time is the fencing token), so we leave it."""
    renewed = await session.scalar(
        sa.update(Notification)
        .where(*_where(notification), Notification.claimed_until == notification.claimed_until)
        .values(claimed_until=func.now() + lease)
        .returning(Notification.claimed_until)
        .execution_options(synchronize_session=False)
    )
    if renewed is None:
        return False
    notification.claimed_until = renewed
    return True


async def renew_claims(
    session: AsyncSession, notifications: Iterable[Notification], *, lease: timedelta
) -> list[Notification]:
    """Extend our claims on the messages still waiting to be delivered (a dispatcher's
    heartbeat); those whose claim lapsed and was taken over since are returned, lost to us."""
    ours = {(n.workspace_id, n.id): n for n in notifications}
    if not ours:
        return []
    renewed = await session.execute(
        sa.update(Notification)
        .where(
            sa.tuple_(Notification.workspace_id, Notification.id, Notification.claimed_until).in_(
                [(n.workspace_id, n.id, n.claimed_until) for n in ours.values()]
            ),
            Notification.status == NotificationStatus.PENDING,
        )
        .values(claimed_until=func.now() + lease)
        .returning(Notification.workspace_id, Notification.id, Notification.claimed_until)
        .execution_options(synchronize_session=False)
    )
    for workspace_id, notification_id, claimed_until in renewed:
        ours.pop((workspace_id, notification_id)).claimed_until = claimed_until
    return list(ours.values())


async def waiting(session: AsyncSession) -> tuple[int, timedelta | None]:
    """How many messages wait to be delivered, and how long the most overdue has been due."""
    row = (
        await session.execute(
            select(
                func.count(),
                sa.type_coerce(func.now() - func.min(Notification.next_attempt_at), sa.Interval),
            ).where(Notification.status == NotificationStatus.PENDING)
        )
    ).one()
    count: int = row[0]
    overdue: timedelta | None = row[1]
    if overdue is None:
        return 0, None
    return count, overdue if overdue > timedelta(0) else timedelta(0)


async def parent_ts(session: AsyncSession, notification: Notification) -> str | None:
    """The Slack `ts` of the post an update or reply belongs to."""
    if notification.parent_id is None:
        return None
    return await session.scalar(
        select(Notification.slack_ts).where(
            Notification.workspace_id == notification.workspace_id,
            Notification.id == notification.parent_id,
        )
    )


def _where(notification: Notification):
    return (
        Notification.workspace_id == notification.workspace_id,
        Notification.id == notification.id,
        Notification.status == NotificationStatus.PENDING,
    )


async def mark_sent(session: AsyncSession, notification: Notification, *, ts: str | None) -> bool:
    """Record delivery; False when it was already recorded (nothing changes then)."""
    result = await session.execute(
        sa.update(Notification)
        .where(*_where(notification))
        .values(
            status=NotificationStatus.SENT,
            sent_at=func.now(),
            slack_ts=ts,
            claimed_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def retry_later(
    session: AsyncSession, notification: Notification, *, error: str, delay: timedelta
) -> None:
    """Release the claim and try again after `delay`."""
    await session.execute(
        sa.update(Notification)
        .where(*_where(notification))
        .values(
            next_attempt_at=func.now() + delay,
            claimed_until=None,
            last_error=error[:ERROR_MAX],
        )
        .execution_options(synchronize_session=False)
    )


async def give_up(session: AsyncSession, notification: Notification, *, error: str) -> None:
    """Slack refused the message for good: mark it (and what waits on it) failed."""
    await session.execute(
        sa.update(Notification)
        .where(
            Notification.workspace_id == notification.workspace_id,
            sa.or_(Notification.id == notification.id, Notification.parent_id == notification.id),
            Notification.status == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.FAILED, claimed_until=None, last_error=error[:ERROR_MAX])
        .execution_options(synchronize_session=False)
    )


async def action_posts(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> list[Notification]:
    """The action's own messages (one per channel it was posted to), not those that failed."""
    return list(
        await session.scalars(
            select(Notification)
            .where(
                Notification.workspace_id == workspace_id,
                Notification.action_id == action_id,
                Notification.kind == NotificationKind.POST,
                Notification.status != NotificationStatus.FAILED,
            )
            .order_by(Notification.created_at, Notification.id)
        )
    )


async def reply_to_action(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID, text: str
) -> None:
    """Queue a note in the thread of the action's message in every channel it went to."""
    for post in await action_posts(session, workspace_id=workspace_id, action_id=action_id):
        reply = _child(post, NotificationKind.REPLY, text)
        reply.action_id = action_id
        session.add(reply)
    await session.flush()


async def post_text(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_id: str, text: str
) -> None:
    """Queue a message of its own (not rendered from an alert or an action) to a channel."""
    session.add(_message(workspace_id, channel_id, NotificationKind.POST, text))
    await session.flush()


async def direct(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    user_id: str,
    text: str,
    action_id: uuid.UUID | None = None,
) -> None:
    """Queue a direct message to one person (a Slack user id), about an action if given."""
    message = _message(workspace_id, user_id, NotificationKind.DIRECT, text)
    message.action_id = action_id
    session.add(message)
    await session.flush()


def _message(
    workspace_id: uuid.UUID, channel_id: str, kind: NotificationKind, text: str
) -> Notification:
    return Notification(
        workspace_id=workspace_id,
        channel_id=channel_id,
        kind=kind,
        text=text,
        status=NotificationStatus.PENDING,
        attempts=0,
        created_at=func.clock_timestamp(),
    )
