"""Slack delivery as the worker runs it, on short leases and backoffs, and the check that every
message reached Slack exactly once."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.delivery import METADATA_EVENT, DeliverySettings, Dispatcher, SlackSender
from bot.installations import bot_tokens
from bot.local_slack import LocalSlack
from domain.notification.models import Notification, NotificationKind, NotificationStatus
from infrastructure.runtime import Runtime

FAST = DeliverySettings(
    batch_size=10,
    lease=timedelta(seconds=1),
    backoff_base=timedelta(milliseconds=50),
    backoff_cap=timedelta(milliseconds=200),
    timeout_seconds=0.5,
    inline_retries=1,
    inline_wait_max=1,
)


def dispatcher(runtime: Runtime, settings: DeliverySettings = FAST) -> Dispatcher:
    sender = SlackSender(
        base_url=runtime.settings.slack_api_url,
        token_for=bot_tokens(runtime.settings, runtime.engine, runtime.db),
        settings=settings,
    )
    return Dispatcher(runtime, sender, settings)


def delivered_ids(slack: LocalSlack) -> Counter:
    """How often each notification reached Slack, from the messages Slack holds."""
    seen: Counter = Counter()
    for messages in slack.messages.values():
        for message in messages:
            metadata = message.get("metadata") or {}
            assert metadata.get("event_type") == METADATA_EVENT
            seen[metadata["event_payload"]["notification_id"]] += 1
    return seen


async def notifications(runtime: Runtime) -> list[Notification]:
    async with runtime.db() as session:
        return list(await session.scalars(select(Notification)))


async def assert_each_delivered_once(runtime: Runtime, slack: LocalSlack) -> None:
    rows = await notifications(runtime)
    posts = [n for n in rows if n.kind is not NotificationKind.UPDATE]
    assert all(n.status is NotificationStatus.SENT and n.slack_ts for n in rows)
    seen = delivered_ids(slack)
    assert sorted(seen) == sorted(str(n.id) for n in posts)
    assert set(seen.values()) == {1}, [i for i, n in seen.items() if n > 1]
