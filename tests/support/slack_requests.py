"""Requests to /slack/events built and signed exactly as Slack builds and signs them."""

import asyncio
import json
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

import httpx

from bot import local_slack

SIGNING_SECRET = "test-signing-secret"
TEAM_ID = "T0001"
USER = "U0001"  # Dana: handle "dana", display name "Dana S." (bot/local_slack.py)


def signed_headers(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    return local_slack.signed_headers(body, content_type, secret=secret, timestamp=timestamp)


def command_body(text: str, *, response_url: str, **fields: Any) -> str:
    return local_slack.command_body(text, response_url=response_url, team=TEAM_ID, **fields)


def payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


class SlackClient:
    """Posts to the app's /slack/events as Slack does."""

    def __init__(self, http: httpx.AsyncClient, response_url: str):
        self.http = http
        self.response_url = response_url
        self._triggers = 0

    async def settled(self, request: Awaitable[httpx.Response]) -> httpx.Response:
        """Send, then wait (at most 5 s) for the work the request started: Bolt runs a
        listener after the ack, in a task of its own, so what it sends Slack comes later."""
        running = asyncio.all_tasks()
        response = await request
        started = asyncio.all_tasks() - running - {asyncio.current_task()}
        if started:
            await asyncio.wait(started, timeout=5)
        return response

    def trigger(self) -> str:
        self._triggers += 1
        return f"trigger.{self._triggers}.{time.monotonic_ns()}"

    async def post(self, body: str, content_type: str, **headers: Any) -> httpx.Response:
        extra = headers.pop("extra", {})
        return await self.http.post(
            "/slack/events",
            content=body,
            headers={**signed_headers(body, content_type, **headers), **extra},
        )

    async def command(self, text: str, **fields: Any) -> httpx.Response:
        fields.setdefault("trigger_id", self.trigger())
        body = command_body(text, response_url=self.response_url, **fields)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.post(payload_body(payload), "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], **headers: Any) -> httpx.Response:
        body = json.dumps(
            {
                "token": "verification",
                "team_id": TEAM_ID,
                "api_app_id": "A0001",
                "event": event,
                "type": "event_callback",
                "event_id": "Ev0001",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
            }
        )
        return await self.post(body, "application/json", **headers)


def user(user_id: str = USER) -> dict[str, Any]:
    return {"id": user_id, "username": "dana", "name": "dana", "team_id": TEAM_ID}


def team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": "acme"}


def shown(blocks: list[dict[str, Any]]) -> str:
    """All text a person would read in these blocks, one piece a line."""
    return local_slack.readable(blocks)


async def ask(slack: SlackClient, fake_slack: local_slack.LocalSlack, text: str, **fields) -> dict:
    """Run a command; the reply the bot sent to the response_url, once the listener is done
    (so that nothing it sends later, like the map's picture, lands in the next test)."""
    response = await slack.settled(slack.command(text, **fields))
    assert response.status_code == 200, response.text
    calls = await fake_slack.wait_for("response_url")
    fake_slack.calls.clear()
    return calls[-1].params
