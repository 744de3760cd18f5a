"""A local server that answers Slack's Web API, for tests.

It records every call, keeps the messages posted per channel (so `chat.update`,
`conversations.history` and `conversations.replies` behave like Slack's, metadata included),
answers `{"ok": true}` to any other method, and can be scripted to misbehave:

    async with SlackWebAPI() as slack:
        client = AsyncWebClient(base_url=slack.url, token="xoxb-test")
        slack.fail("chat.postMessage", status=429, retry_after=1, times=2)
        slack.fail("*", status=500)
        slack.lose_response("chat.postMessage")   # processed, but the answer never comes
        slack.go_dark(2.0)                        # nothing answers for two seconds
        slack.on("users.info", lambda params: {"ok": True, "user": {...}})
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    outcome: str = "ok"  # ok, or the fault it met: "429", "500", "error:…", "lost", "dark"


@dataclass
class Fault:
    method: str
    times: int
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    lose_response: bool = False
    body: str | None = None


@dataclass
class SlackWebAPI:
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    dark_until: float = 0.0
    hang_seconds: float = 30.0  # how long a lost or dark answer takes (clients time out first)
    latency: float = 0.0  # seconds every answer takes

    def __post_init__(self) -> None:
        self._last_ts = 0.0
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.url = ""

    async def __aenter__(self) -> "SlackWebAPI":
        app = web.Application()
        app.router.add_post("/api/{method}", self._answer)
        app.router.add_get("/api/{method}", self._answer)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}/api/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing.set()  # release answers still hanging
        if self._runner is not None:
            await self._runner.cleanup()

    # Scripting

    def on(self, method: str, handler: Handler) -> None:
        """Answer `method` with `handler(params)` instead of the default."""
        self.handlers[method] = handler

    def fail(
        self,
        method: str = "*",
        *,
        status: int = 200,
        retry_after: int | None = None,
        error: str | None = None,
        body: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` ("*": any) answer `status` (429 with Retry-After,
        500…) or `{"ok": false, "error": error}` with 200; `body` replaces the JSON answer
        (say, a proxy's HTML error page)."""
        self.faults.append(Fault(method, times, status, retry_after, error, body=body))

    def lose_response(self, method: str = "*", *, times: int = 1) -> None:
        """The next `times` calls are carried out, but their answer never arrives."""
        self.faults.append(Fault(method, times, lose_response=True))

    def go_dark(self, seconds: float) -> None:
        """For `seconds` no call is answered or carried out (Slack is unreachable)."""
        self.dark_until = time.monotonic() + seconds

    # Reading what happened

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return self.messages.get(channel, [])

    # Serving

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        call = Call(method, params, auth.removeprefix("Bearer ") or params.get("token"))
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        if time.monotonic() < self.dark_until:
            call.outcome = "dark"
            await self._hang()
            return web.Response(status=503)
        fault = self._next_fault(method)
        if fault is not None and not fault.lose_response:
            if fault.body is not None:
                call.outcome = str(fault.status)
                return web.Response(status=fault.status, text=fault.body, content_type="text/html")
            if fault.status != 200:
                call.outcome = str(fault.status)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                return web.json_response(
                    {"ok": False, "error": "ratelimited" if fault.status == 429 else "fatal_error"},
                    status=fault.status,
                    headers=headers,
                )
            call.outcome = f"error:{fault.error}"
            return web.json_response({"ok": False, "error": fault.error})
        body = self._carry_out(method, params)
        if fault is not None:  # carried out, but the answer is lost on the way back
            call.outcome = "lost"
            await self._hang()
        return web.json_response(body)

    async def _hang(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), self.hang_seconds)

    def _next_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method in ("*", method):
                fault.times -= 1
                return fault
        return None

    def _carry_out(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.handlers:
            return self.handlers[method](params)
        default = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
        }.get(method)
        return default(params) if default else {"ok": True}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": "T0TEST", "user_id": "U0BOT", "bot_id": "B0BOT"}

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        # Like Slack's: the epoch time in microseconds, unique within the channel.
        self._last_ts = max(self._last_ts + 0.000001, time.time())
        ts = f"{self._last_ts:.6f}"
        message = {
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": _json(params.get("blocks")),
            "metadata": _json(params.get("metadata")),
            "thread_ts": params.get("thread_ts"),
        }
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.posted(params.get("channel", "")):
            if message["ts"] == params.get("ts"):
                message["text"] = params.get("text", message["text"])
                message["blocks"] = _json(params.get("blocks")) or message["blocks"]
                message["updates"] = message.get("updates", 0) + 1
                return {"ok": True, "channel": params["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _visible(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if v is not None and k != "updates"}
        if not _flag(params.get("include_all_metadata")):
            shown.pop("metadata", None)
        return shown

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        found = [
            self._visible(m, params)
            for m in reversed(self.posted(params.get("channel", "")))
            if not m["thread_ts"] and float(m["ts"]) >= oldest
        ]
        return {"ok": True, "messages": found[: int(params.get("limit") or 100)]}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = params.get("ts")
        thread = [
            self._visible(m, params)
            for m in self.posted(params.get("channel", ""))
            if m["ts"] == ts or m["thread_ts"] == ts
        ]
        return {"ok": True, "messages": thread}


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(await request.post())
    return params


def _json(value: Any) -> Any:
    """Form-encoded calls send JSON fields (blocks, metadata) as strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")
