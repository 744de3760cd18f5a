"""Trying the bot without Slack: a local stand-in for Slack's Web API (and response_url
endpoints) that answers like Slack and records every call the bot makes, and requests signed
exactly as Slack signs them. Used by `journeyops slack-try`, the tests and the benchmark."""

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from journeyops.settings import Settings


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "response_url"
    params: dict[str, Any]
    token: str | None = None  # the bearer token the call was made with

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class LocalSlack:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/respond/{name}"

    def reset(self) -> None:
        self.calls.clear()
        self.failures.clear()

    def fail(
        self, method: str, error: str = "internal_error", status: int = 200, times: int = 1000
    ) -> None:
        """Make `method` fail `times` times (429 answers ask to retry after 0 s)."""
        self.failures[method] = {"error": error, "status": status, "times": times}

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json":
            return json.loads(raw or "{}")
        params: dict[str, Any] = dict(parse_qsl(raw))
        for key in ("blocks", "view"):  # the SDK sends these JSON-encoded in forms
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        self.calls.append(Call(method, params, params.get("token") or bearer))
        failure = self.failures.get(method)
        if failure and failure["times"] > 0:
            failure["times"] -= 1
            headers = {"Retry-After": "0"} if failure["status"] == 429 else None
            return web.json_response(
                {"ok": False, "error": failure["error"]}, status=failure["status"], headers=headers
            )
        return web.json_response({"ok": True, **self._answer(method, params)})

    async def _respond(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await self._params(request)))
        if "response_url" in self.failures:
            return web.Response(status=500, text="error")
        return web.Response(text="ok")

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"team_id": "T0001", "user_id": "UBOT", "bot_id": "BBOT", "team": "acme"}
        if method in ("chat.postMessage", "chat.update"):
            return {"channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}"}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1700000000.{next(self._ts):06d}"}
        if method in ("views.open", "views.update", "views.publish"):
            return {"view": {"id": params.get("view_id", "V0001"), "hash": "h1"}}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{ts}"}
        if method == "users.info":
            return {"user": {"id": params.get("user"), "name": "dana", "real_name": "Dana"}}
        if method == "oauth.v2.access":
            return {
                "app_id": "A0001",
                "authed_user": {"id": "U0001"},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": "xoxb-installed",
                "bot_user_id": "UBOT",
                "team": {"id": "T0002", "name": "Globex"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        return {}

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The calls of `method` once at least `count` arrived (the bot sends after its ack)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.of(method)) < count:
            if loop.time() > deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(f"expected {count} {method} call(s); saw {seen}")
            await asyncio.sleep(0.01)
        return self.of(method)


def signed_headers(
    body: str, content_type: str, *, secret: str, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or "",
    }


def command_body(
    text: str,
    *,
    response_url: str,
    user: str = "U0001",
    channel: str = "C0SUPPORT1",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    team: str = "T0001",
) -> str:
    """A `/journey` slash command, form-encoded as Slack posts it."""
    return urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team,
            "team_domain": "acme",
            "enterprise_id": "",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": "dana",
            "command": "/journey",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def readable(node: Any) -> str:
    """All text a person would read in blocks or a view, one piece a line."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if isinstance(item.get("text"), str):
                found.append(item["text"])
            for key, value in item.items():
                if not (key == "text" and isinstance(value, str)):
                    walk(value)
        elif isinstance(item, list):
            for element in item:
                walk(element)

    walk(node)
    return "\n".join(found)


async def try_command(settings: "Settings", text: str, *, user: str) -> tuple[str, list[Call]]:
    """Run one `/journey` command through the real bot (signature check, middleware, listener,
    database) with Slack simulated here; return the immediate answer and the calls it made."""
    import secrets

    from pydantic import SecretStr
    from slack_bolt.request.async_request import AsyncBoltRequest

    from bot.app import create_bolt_app
    from journeyops.runtime import Runtime

    slack = LocalSlack()
    await slack.start()
    secret = secrets.token_hex(16)
    local = settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(secret),
            "slack_bot_token": SecretStr("xoxb-local"),
            "slack_api_url": slack.api_url,
            "slack_client_id": None,
            "slack_client_secret": None,
        }
    )
    runtime = Runtime.create(local)
    try:
        bolt = create_bolt_app(runtime)
        body = command_body(text, response_url=slack.response_url(), user=user, team="T0LOCAL")
        headers = signed_headers(body, "application/x-www-form-urlencoded", secret=secret)
        request = AsyncBoltRequest(body=body, headers=dict(headers.items()))
        answer = await bolt.async_dispatch(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline and not [c for c in slack.calls if c.method != "auth.test"]:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a listener may send more than one thing
        return answer.body, [c for c in slack.calls if c.method != "auth.test"]
    finally:
        await runtime.close()
        await slack.stop()
