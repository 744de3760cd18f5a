"""Delivering the outbox to Slack: every message once, whatever Slack or the worker does.

The dispatcher claims due notifications (domain.notification.service), renders each from the
alert or action as it is now, calls Slack's Web API through `SlackSender`, and records the
outcome:

- sent: the returned `ts` is stored (later updates and thread replies need it);
- Slack asks to wait (429), fails (5xx), times out or cannot be reached: retried. Short waits
  happen inside the call with slack_sdk's retry handlers (Retry-After honoured); beyond that
  the notification is released with `next_attempt_at` after an exponential backoff (or the
  Retry-After), so an outage of hours costs nothing but the wait;
- Slack refuses it for good (channel_not_found, is_archived…): marked failed, with the error.

A post is not idempotent at Slack, so posts carry their notification id in message metadata
and only rate-limit retries (where Slack did nothing) happen blindly; any later attempt first
looks for the message in the channel (a direct message in the app's conversation with the
person, which `conversations.open` names). An answer lost on the way back, or a dispatcher that
died between Slack's answer and the database's commit, therefore repeats nothing.
"""

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot import action_message, alert_message
from bot.installations import TokenFor, bot_tokens
from bot.web_api import web_client
from domain.action import views as action_views
from domain.alert import service as alert_service
from domain.digest import service as digest_service
from domain.errors import DomainError
from domain.journey import service as journey_service
from domain.notification import service as notification_service
from domain.notification.models import Notification, NotificationKind
from domain.stage import service as stage_service
from infrastructure import telemetry
from infrastructure.runtime import Runtime

log = logging.getLogger(__name__)

METADATA_EVENT = "journeyops_notification"
# Notifications that carry their own text rather than being rendered from their cause.
TEXT_KINDS = frozenset({NotificationKind.REPLY, NotificationKind.DIRECT})
# An action's post and its in-place updates are rendered from the action when sent.
ACTION_MESSAGE_KINDS = frozenset({NotificationKind.POST, NotificationKind.UPDATE})
# Errors after which sending the same message again cannot succeed.
REFUSALS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "message_not_found",
        "cant_update_message",
        "restricted_action",
        "user_not_found",  # a direct message to someone who left
        "user_disabled",
        "cannot_dm_bot",
    }
)


@dataclass(frozen=True)
class DeliverySettings:
    batch_size: int = 50
    # A claim lasts this long unless the dispatcher's heartbeat renews it (every third of it):
    # a dispatcher that dies holds its messages for seconds, not for a whole batch's time.
    lease: timedelta = timedelta(seconds=15)
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(minutes=15)
    timeout_seconds: float = 10.0  # one HTTP call
    inline_retries: int = 2  # inside one call, via slack_sdk's retry handlers
    inline_wait_max: int = 5  # seconds of Retry-After worth waiting inside the call
    history_slack: timedelta = timedelta(minutes=1)  # clock skew allowed when looking back


class TryLater(Exception):
    def __init__(self, message: str, delay: float | None = None):
        super().__init__(message)
        self.delay = delay


class Refused(Exception):
    pass


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 inside the call only when Retry-After is short; a long one goes back to
    the outbox, so no dispatcher sleeps on a claim for minutes."""

    def __init__(self, max_retry_count: int, max_wait: int):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if not await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        ):
            return False
        return _retry_after(response.headers if response else {}) <= self.max_wait


def _retry_after(headers: Any) -> float:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value[0] if isinstance(value, list) else value)
            except ValueError:
                break
    return 1.0


class SlackSender:
    """The few Web API calls delivery needs, with errors sorted into try-later and refused."""

    def __init__(self, *, base_url: str, token_for: TokenFor, settings: DeliverySettings):
        self.base_url, self.token_for, self.settings = base_url, token_for, settings
        backoff = BackoffRetryIntervalCalculator(backoff_factor=0.2)
        rate_limit = ShortRateLimitRetry(settings.inline_retries, settings.inline_wait_max)
        self.post_handlers: list[AsyncRetryHandler] = [rate_limit]
        self.idempotent_handlers: list[AsyncRetryHandler] = [
            rate_limit,
            AsyncServerErrorRetryHandler(settings.inline_retries, backoff),
            AsyncConnectionErrorRetryHandler(settings.inline_retries, backoff),
        ]

    async def _client(self, workspace_id: uuid.UUID, *, idempotent: bool) -> AsyncWebClient:
        token = await self.token_for(workspace_id)
        if not token:
            raise TryLater(
                "no Slack bot token for this workspace: install the app into its Slack "
                "workspace (/slack/install), or set SLACK_BOT_TOKEN in single-workspace mode"
            )
        return web_client(
            self.base_url,
            token=token,
            timeout=self.settings.timeout_seconds,
            retry_handlers=self.idempotent_handlers if idempotent else self.post_handlers,
        )

    async def _call(self, call: Awaitable[Any]) -> Any:
        try:
            async with asyncio.timeout(self.settings.timeout_seconds * 4):
                return await call
        except SlackApiError as error:
            # A broken body comes with aiohttp's response (`status`), a JSON one with Slack's.
            response = error.response
            status = getattr(response, "status_code", None) or getattr(response, "status", 0)
            data = getattr(response, "data", None)
            code = data.get("error", "") if isinstance(data, dict) else ""
            if status == 429:
                raise TryLater("rate limited", _retry_after(response.headers)) from None
            if status == 200 and code in REFUSALS:
                raise Refused(code) from None
            raise TryLater(f"Slack answered {status} {code}".strip()) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TryLater(f"Slack unreachable: {type(error).__name__} {error}") from None
        except Exception as error:  # whatever else comes back from outside: keep the message
            log.exception("unexpected failure calling Slack")
            raise TryLater(f"unexpected {type(error).__name__}") from None

    async def post(
        self,
        workspace_id: uuid.UUID,
        *,
        channel: str,
        text: str,
        notification_id: uuid.UUID,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        client = await self._client(workspace_id, idempotent=False)
        response = await self._call(
            client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                metadata={
                    "event_type": METADATA_EVENT,
                    "event_payload": {"notification_id": str(notification_id)},
                },
            )
        )
        return response["ts"]

    async def update(
        self,
        workspace_id: uuid.UUID,
        *,
        channel: str,
        ts: str,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> None:
        client = await self._client(workspace_id, idempotent=True)
        await self._call(client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    async def open_direct(self, workspace_id: uuid.UUID, *, user: str) -> str:
        """The id of the direct-message conversation with `user` (opened if need be), where
        a direct message is posted and later looked for."""
        client = await self._client(workspace_id, idempotent=True)
        response = await self._call(client.conversations_open(users=user))
        return response["channel"]["id"]

    async def find_posted(
        self,
        workspace_id: uuid.UUID,
        *,
        channel: str,
        notification_id: uuid.UUID,
        since: float,
        thread_ts: str | None = None,
    ) -> str | None:
        """The ts of the message an earlier attempt may have posted, if Slack has it."""
        client = await self._client(workspace_id, idempotent=True)
        if thread_ts:
            call = client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            call = client.conversations_history(
                channel=channel, oldest=f"{since:.6f}", include_all_metadata=True, limit=200
            )
        response = await self._call(call)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get(
                "notification_id"
            ) == str(notification_id):
                return message["ts"]
        return None


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0


Render = Callable[[alert_message.AlertView], tuple[str, list[dict[str, Any]]]]


@dataclass
class Dispatcher:
    runtime: Runtime
    sender: SlackSender
    settings: DeliverySettings = DeliverySettings()
    render: Render = alert_message.render

    async def run(self, *, max_batches: int = 20) -> Report:
        """Deliver what is due now, batch after batch, until nothing is due."""
        report = Report()
        for _ in range(max_batches):
            async with self.runtime.transaction() as session:
                batch = await notification_service.claim_due(
                    session, limit=self.settings.batch_size, lease=self.settings.lease
                )
            if not batch:
                break
            await self._deliver_batch(batch, report)
        return report

    async def _deliver_batch(self, batch: list[Notification], report: Report) -> None:
        """Deliver a claimed batch in order while a heartbeat keeps the claims of what is
        still to send; a message whose claim lapsed and was taken over is left to its taker."""
        waiting = {notification.id: notification for notification in batch}
        lost: set[uuid.UUID] = set()
        renewing = asyncio.Lock()

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(self.settings.lease.total_seconds() / 3)
                async with renewing, self.runtime.transaction() as session:
                    gone = await notification_service.renew_claims(
                        session, list(waiting.values()), lease=self.settings.lease
                    )
                lost.update(notification.id for notification in gone)

        beating = asyncio.create_task(heartbeat())
        try:
            for notification in batch:
                # The claim is checked right before sending.
                async with renewing, self.runtime.transaction() as session:
                    ours = await notification_service.renew_claim(
                        session, notification, lease=self.settings.lease
                    )
                if ours and notification.id not in lost:
                    await self._deliver(notification, report)
                waiting.pop(notification.id)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _deliver(self, notification: Notification, report: Report) -> None:
        try:
            ts = await self._send(notification)
        except TryLater as error:
            delay = error.delay if error.delay is not None else self._backoff(notification)
            log.warning("notification %s: %s; retrying in %.1fs", notification.id, error, delay)
            async with self.runtime.transaction() as session:
                await notification_service.retry_later(
                    session, notification, error=str(error), delay=timedelta(seconds=delay)
                )
            report.retried += 1
            telemetry.DELIVERIES.labels("retried").inc()
        except (Refused, DomainError) as error:  # DomainError: its alert is gone
            log.error("notification %s refused by Slack: %s", notification.id, error)
            async with self.runtime.transaction() as session:
                await notification_service.give_up(session, notification, error=str(error))
            report.failed += 1
            telemetry.DELIVERIES.labels("failed").inc()
        else:
            async with self.runtime.transaction() as session:
                await notification_service.mark_sent(session, notification, ts=ts)
            report.sent += 1
            telemetry.DELIVERIES.labels("sent").inc()

    def _backoff(self, notification: Notification) -> float:
        """Exponential in the attempts, capped, with jitter so retries do not stampede."""
        doublings = min(notification.attempts - 1, 30)  # a days-long outage must not overflow
        base = self.settings.backoff_base.total_seconds() * 2**doublings
        capped = min(self.settings.backoff_cap.total_seconds(), base)
        return capped * (0.5 + random.random() / 2)

    async def _send(self, notification: Notification) -> str | None:
        async with self.runtime.transaction() as session:
            parent_ts = await notification_service.parent_ts(session, notification)
            text, blocks = await self._content(session, notification)
        sender, workspace_id = self.sender, notification.workspace_id
        channel = notification.channel_id
        if notification.kind is NotificationKind.DIRECT:
            channel = await sender.open_direct(workspace_id, user=channel)
        if notification.kind is NotificationKind.UPDATE:
            assert parent_ts is not None  # updates are due only once their post is sent
            await sender.update(
                workspace_id,
                channel=notification.channel_id,
                ts=parent_ts,
                text=text,
                blocks=blocks or [],
            )
            return parent_ts
        if notification.attempts > 1:  # an earlier attempt may have arrived
            found = await sender.find_posted(
                workspace_id,
                channel=channel,
                notification_id=notification.id,
                since=(notification.created_at - self.settings.history_slack).timestamp(),
                thread_ts=parent_ts,
            )
            if found:
                return found
        return await sender.post(
            workspace_id,
            channel=channel,
            text=text,
            blocks=blocks,
            notification_id=notification.id,
            thread_ts=parent_ts,
        )

    async def _content(
        self, session, notification: Notification
    ) -> tuple[str, list[dict[str, Any]] | None]:
        """An alert's message as the alert stands now; replies and direct messages carry
        their own text, digests the blocks they were written with."""
        if notification.kind is NotificationKind.DIGEST:
            blocks = await digest_service.blocks_of(
                session, workspace_id=notification.workspace_id, notification_id=notification.id
            )
            return notification.text, blocks
        if notification.action_id is not None and notification.kind in ACTION_MESSAGE_KINDS:
            return await self._action_content(
                session, notification.workspace_id, notification.action_id
            )
        if notification.kind in TEXT_KINDS or notification.alert_id is None:
            return notification.text, None
        workspace_id = notification.workspace_id
        alert = await alert_service.get(
            session, workspace_id=workspace_id, alert_id=notification.alert_id
        )
        journey = await journey_service.get(
            session, workspace_id=workspace_id, journey_id=alert.journey_id
        )
        stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=alert.stage_id)
        view = alert_message.AlertView(
            alert=alert,
            journey_name=journey.name,
            stage_name=stage.name,
            map_url=f"{self.runtime.settings.base_url}/journeys/{journey.id}",
        )
        return self.render(view)

    async def _action_content(
        self, session, workspace_id: uuid.UUID, action_id: uuid.UUID
    ) -> tuple[str, list[dict[str, Any]] | None]:
        """An action's message in its team's channel, as the action stands now."""
        shown = await action_views.message(session, workspace_id=workspace_id, action_id=action_id)
        return action_message.render(shown)


async def deliver_due(runtime: Runtime) -> Report:
    """The worker job: deliver every due Slack message, each with its workspace's token."""
    settings = DeliverySettings()
    sender = SlackSender(
        base_url=runtime.settings.slack_api_url,
        token_for=bot_tokens(runtime.settings, runtime.engine, runtime.db),
        settings=settings,
    )
    return await Dispatcher(runtime, sender, settings).run()
