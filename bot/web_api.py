"""Slack's Web API client, made one way for the whole Slack door: on SLACK_API_URL (Slack's own
server, or `bot/local_slack.py` in tests), with slack_sdk's retry handlers.

The bot's replies (`bot.app`) retry rate limits, 5xx answers and dropped connections alike;
delivery of the outbox (`bot.delivery`) passes handlers of its own, because a post that may
have arrived must not be sent again blindly.
"""

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

RETRIES = 2
TIMEOUT_SECONDS = 10.0


def retry_everything(retries: int = RETRIES) -> list[AsyncRetryHandler]:
    """Retry 429 (after Retry-After), 5xx and dropped connections, `retries` times each."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=retries),
        AsyncRateLimitErrorRetryHandler(max_retry_count=retries),
        AsyncServerErrorRetryHandler(max_retry_count=retries),
    ]


def web_client(
    base_url: str,
    *,
    token: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
    retry_handlers: list[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    """A client on `base_url`; without `token`, Bolt gives each request's copy the token its
    authorization found (`bot.authorize`)."""
    return AsyncWebClient(
        base_url=base_url,
        token=token,
        timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes floats
        retry_handlers=retry_everything() if retry_handlers is None else retry_handlers,
    )
