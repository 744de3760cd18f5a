"""Slack without Slack: a local server that answers Slack's Web API (and response_url
endpoints) as Slack does, records every call, keeps the messages posted per channel (so
`chat.update`, `conversations.history` and `conversations.replies` behave like Slack's,
metadata included), takes file uploads the way `files.uploadV2` makes them (an upload address
from `files.getUploadURLExternal`, the bytes posted there, `files.completeUploadExternal`
sharing them into a channel; `files` keeps each), and can be scripted to misbehave; plus
requests signed exactly as Slack signs them. Used by `journeyops slack-try`, the tests and the
benchmark.

    async with LocalSlack() as slack:
        client = AsyncWebClient(base_url=slack.api_url, token="xoxb-test")
        slack.fail("chat.postMessage", status=429, retry_after=1, times=2)
        slack.fail("*", status=500)
        slack.fail("chat.postMessage", error="channel_not_found", channel="C0GONE001")
        slack.lose_response("chat.postMessage")   # carried out, but the answer never comes
        slack.go_dark(2.0)                        # nothing answers for two seconds
        slack.add_user("U0003", "kim", "Kim", "Kim Lee")  # users.info knows one more person
"""

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from infrastructure.settings import Settings

HANG_SECONDS = 30.0  # how long a lost or dark answer takes (clients time out first)
BOT = {"team_id": "T0001", "team": "acme", "user_id": "UBOT", "bot_id": "BBOT"}
# The people `users.info` knows until told of others (`add_user`): id → (handle, display
# name, real name). Like many, Sam set no display name.
PEOPLE = {
    "U0001": ("dana", "Dana S.", "Dana Scully"),
    "U0002": ("sam", "", "Sam Porter"),
}


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "response_url"
    params: dict[str, Any]
    token: str | None = None  # the token the call was made with
    outcome: str = "ok"  # or the fault it met: "429", "500", "error:…", "lost", "dark"

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class File:
    """An uploaded file: what `files.getUploadURLExternal` was told, the bytes that came, and
    where `files.completeUploadExternal` shared it."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None  # None until the upload address received the bytes
    title: str | None = None
    channel: str | None = None  # None until completed
    initial_comment: str | None = None


@dataclass
class Fault:
    method: str  # or "*": any
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int = 0
    body: str | None = None
    channel: str | None = None  # only calls for this channel
    lose_response: bool = False

    def meets(self, call: Call) -> bool:
        return (
            self.times > 0
            and self.method in ("*", call.method)
            and self.channel in (None, call.params.get("channel"))
        )

    def answer(self, call: Call) -> web.Response:
        call.outcome = f"error:{self.error}" if self.status == 200 else str(self.status)
        if self.body is not None:
            return web.Response(status=self.status, text=self.body, content_type="text/html")
        # Slack's 429s always say when to come back.
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else None
        error = self.error or ("ratelimited" if self.status == 429 else "fatal_error")
        return web.json_response({"ok": False, "error": error}, status=self.status, headers=headers)


@dataclass
class LocalSlack:
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    people: dict[str, tuple[str, str, str]] = field(default_factory=lambda: dict(PEOPLE))
    latency: float = 0.0  # seconds every answer takes
    url: str = ""
    _dark_until: float = 0.0
    _last_ts: int = 0  # microseconds
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> "LocalSlack":
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve)
        app.router.add_post("/respond/{id}", self._serve)
        app.router.add_post("/upload/{file_id}", self._receive_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing.set()  # release answers still hanging
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> "LocalSlack":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/respond/{name}"

    # Scripting

    def reset(self) -> None:
        self.calls.clear()
        self.messages.clear()
        self.files.clear()
        self.faults.clear()
        self.people = dict(PEOPLE)
        self.latency = self._dark_until = 0.0

    def fail(
        self,
        method: str = "*",
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int = 0,
        body: str | None = None,
        channel: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` ("*": any; "response_url" too), for `channel`
        if given, answer `status` (429 with Retry-After, 500…, with `error` or Slack's usual
        one) or `{"ok": false, "error": error}` with 200; `body` replaces the JSON answer (say,
        a proxy's HTML error page)."""
        self.faults.append(Fault(method, times, status, error, retry_after, body, channel))

    def add_user(self, user_id: str, handle: str, display_name: str, real_name: str) -> None:
        """Someone `users.info` answers for (or, for a known id, their changed names)."""
        self.people[user_id] = (handle, display_name, real_name)

    def lose_response(self, method: str = "*", *, times: int = 1) -> None:
        """The next `times` calls are carried out, but their answer never arrives."""
        self.faults.append(Fault(method, times, lose_response=True))

    def go_dark(self, seconds: float) -> None:
        """For `seconds` no call is answered or carried out (Slack is unreachable)."""
        self._dark_until = time.monotonic() + seconds

    # Reading what happened

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def direct_messages(self, user_id: str) -> list[dict[str, Any]]:
        """What the app sent to one person directly."""
        return self.posted(direct_channel(user_id))

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return self.messages.get(channel, [])

    def shared_files(self, channel: str) -> list[File]:
        """The files an upload completed into `channel`."""
        return [file for file in self.files.values() if file.channel == channel]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The calls of `method` once at least `count` arrived (the bot sends after its ack)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.calls_to(method)) < count:
            if loop.time() > deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(f"expected {count} {method} call(s); saw {seen}")
            await asyncio.sleep(0.01)
        return self.calls_to(method)

    # Serving

    async def _serve(self, request: web.Request) -> web.Response:
        method = request.match_info.get("method", "response_url")
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        bearer = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        call = Call(method, params, bearer or params.get("token"))
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        if time.monotonic() < self._dark_until:
            call.outcome = "dark"
            await self._hang()
            return web.Response(status=503)
        fault = next((fault for fault in self.faults if fault.meets(call)), None)
        if fault is not None:
            fault.times -= 1
            if not fault.lose_response:
                return fault.answer(call)
        answer = self._carry_out(method, params)
        if fault is not None:  # carried out, but the answer is lost on the way back
            call.outcome = "lost"
            await self._hang()
        if method == "response_url":
            return web.Response(text="ok")
        return web.json_response(answer)

    async def _hang(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), HANG_SECONDS)

    def _carry_out(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        match method:
            case "auth.test":
                return {"ok": True, "url": "https://acme.slack.com/", "user": "journeyops", **BOT}
            case "chat.postMessage":
                return self._post(params)
            case "conversations.open":
                user = str(params.get("users") or "")
                if not user.startswith(("U", "W")):
                    return {"ok": False, "error": "user_not_found"}
                return {"ok": True, "channel": {"id": direct_channel(user)}}
            case "chat.update":
                return self._update(params)
            case "conversations.history" | "conversations.replies":
                return self._read(method, params)
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": self._next_ts()}
            case "views.open" | "views.update" | "views.publish":
                view_id = params.get("view_id") or "V0001"
                return {"ok": True, "view": {**params.get("view", {}), "id": view_id, "hash": "h1"}}
            case "chat.getPermalink":
                link = f"https://acme.slack.com/archives/{params.get('channel')}/p"
                return {
                    "ok": True,
                    "permalink": link + str(params.get("message_ts", "")).replace(".", ""),
                }
            case "users.info":
                return self._user(str(params.get("user", "")))
            case "files.getUploadURLExternal":
                return self._upload_address(params)
            case "files.completeUploadExternal":
                return self._complete_upload(params)
            case "oauth.v2.access":
                return {
                    "ok": True,
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
        return {"ok": True}

    def _upload_address(self, params: dict[str, Any]) -> dict[str, Any]:
        length = str(params.get("length") or "")
        if not params.get("filename") or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file = File(
            f"F{len(self.files) + 1:07d}",
            str(params["filename"]),
            int(length),
            alt_txt=params.get("alt_txt"),
        )
        self.files[file.id] = file
        return {"ok": True, "upload_url": f"{self.url}/upload/{file.id}", "file_id": file.id}

    async def _receive_upload(self, request: web.Request) -> web.Response:
        """The upload address: takes the file's bytes as the request body (or a multipart
        `file` field), as Slack's does, and answers in plain text."""
        file = self.files.get(request.match_info["file_id"])
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}))
        if file is None:
            return web.Response(status=404, text="Not Found")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            content = form["file"].file.read()  # type: ignore[union-attr]
        else:
            content = await request.read()
        if len(content) != file.length:
            return web.Response(status=400, text="length does not match")
        file.content = content
        return web.Response(text=f"OK - {len(content)}")

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel_id") or params.get("channels")
        wanted = params.get("files") or []
        found = [self.files.get(str(item.get("id"))) for item in wanted]
        if not wanted or any(file is None or file.content is None for file in found):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for file, item in zip(found, wanted, strict=True):
            assert file is not None
            file.title = item.get("title") or file.filename
            file.channel, file.initial_comment = channel, params.get("initial_comment")
            shared.append({"id": file.id, "name": file.filename, "title": file.title})
        if channel:  # shared as a message in the channel
            message = {
                "type": "message",
                "user": BOT["user_id"],
                "ts": self._next_ts(),
                "text": params.get("initial_comment") or "",
                "files": shared,
                "thread_ts": params.get("thread_ts"),
            }
            self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "files": shared}

    def _user(self, user_id: str) -> dict[str, Any]:
        """A user object shaped like Slack's (https://api.slack.com/methods/users.info)."""
        if user_id not in self.people:
            return {"ok": False, "error": "user_not_found"}
        handle, display_name, real_name = self.people[user_id]
        profile = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": "g1a2b3c4d5e6",
            "first_name": real_name.split(" ")[0],
            "last_name": " ".join(real_name.split(" ")[1:]),
            "image_24": "https://secure.gravatar.com/avatar/1a2b3c.jpg?s=24",
            "image_72": "https://secure.gravatar.com/avatar/1a2b3c.jpg?s=72",
            "team": BOT["team_id"],
        }
        user = {
            "id": user_id,
            "team_id": BOT["team_id"],
            "name": handle,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": "Europe/Amsterdam",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": True,
            "who_can_share_contact_card": "EVERYONE",
        }
        return {"ok": True, "user": user}

    def _next_ts(self) -> str:
        """Like Slack's: the epoch time in microseconds, never the same twice."""
        self._last_ts = max(self._last_ts + 1, time.time_ns() // 1000)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if channel and channel.startswith(("U", "W")):  # Slack posts it in their DM with the app
            channel = direct_channel(channel)
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        message = {
            "type": "message",
            "user": BOT["user_id"],
            "bot_id": BOT["bot_id"],
            "ts": self._next_ts(),
            "text": params.get("text", ""),
            "blocks": params.get("blocks"),
            "metadata": params.get("metadata"),
            "thread_ts": params.get("thread_ts"),
        }
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": _shown(message)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("ts")
        message = next((m for m in self.posted(channel) if m["ts"] == ts), None)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message["text"] = params.get("text", message["text"])
        message["blocks"] = params.get("blocks") or message["blocks"]
        message["updates"] = message.get("updates", 0) + 1  # the stand-in's count, not Slack's
        shown = _shown(message)
        return {"ok": True, "channel": channel, "ts": ts, "text": shown["text"], "message": shown}

    def _read(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        posted = self.posted(params.get("channel", ""))
        if method == "conversations.replies":
            ts = params.get("ts")
            found = [m for m in posted if ts and ts in (m["ts"], m["thread_ts"])]
            if not found:
                return {"ok": False, "error": "thread_not_found"}
        else:  # newest first, thread replies left out, `oldest` itself only when inclusive
            oldest = float(params.get("oldest") or 0)
            inclusive = _flag(params.get("inclusive"))
            found = [
                m
                for m in reversed(posted)
                if not m["thread_ts"]
                and (float(m["ts"]) > oldest or (inclusive and float(m["ts"]) == oldest))
            ]
        limit = int(params.get("limit") or 100)
        metadata = _flag(params.get("include_all_metadata"))
        shown = [_shown(m, metadata=metadata) for m in found[:limit]]
        return {"ok": True, "messages": shown, "has_more": len(found) > limit}


def direct_channel(user_id: str) -> str:
    """The stand-in's id for the app's direct-message conversation with a person."""
    return f"D{user_id}"


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
    """Run one `/journey` command through the real bot (signature and payload checks,
    middleware, listener, database) with Slack simulated here; return the immediate answer and
    the calls it made."""
    import secrets

    from pydantic import SecretStr

    from bot.app import create_bolt_app
    from bot.door import SlackDoor
    from infrastructure.runtime import Runtime

    slack = LocalSlack()
    await slack.start()
    if user not in slack.people:  # so that users.info names whoever is acting
        slack.add_user(user, "dana", "Dana S.", "Dana Scully")
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
        door = SlackDoor(create_bolt_app(runtime), secret)
        body = command_body(text, response_url=slack.response_url(), user=user, team="T0LOCAL")
        headers = signed_headers(body, "application/x-www-form-urlencoded", secret=secret)
        answer = await door.answer(body.encode(), headers)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        # Looking up who is acting is not yet an answer.
        while loop.time() < deadline and not [c for c in slack.calls if c.method != "users.info"]:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a listener may send more than one thing
        return answer.body, list(slack.calls)
    finally:
        await runtime.close()
        await slack.stop()


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(json.loads(await request.text() or "{}"))
    elif request.can_read_body:
        params.update(await request.post())
    for key in ("blocks", "view", "metadata", "files"):  # forms carry these JSON-encoded
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _shown(message: dict[str, Any], *, metadata: bool = True) -> dict[str, Any]:
    """A kept message as Slack shows it: no empty fields; metadata only when asked for."""
    hidden = {"updates"} if metadata else {"updates", "metadata"}
    return {k: v for k, v in message.items() if v is not None and k not in hidden}


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true")
