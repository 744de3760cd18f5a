"""Sending after the ack: a Web API failure is logged, never raised into a listener whose
work (a logged observation) is already committed."""

import logging
from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


async def safely(call: Awaitable[Any], what: str) -> Any | None:
    """Await a Web API call (already retried by the client's retry handlers); None on failure."""
    try:
        return await call
    except SlackApiError as error:
        data = error.response.data
        reason = data.get("error") if isinstance(data, dict) else error.response.status_code
        log.warning("slack: %s failed: %s", what, reason)
    except (SlackClientError, OSError, TimeoutError) as error:
        log.warning("slack: %s failed: %s", what, type(error).__name__)
    return None
