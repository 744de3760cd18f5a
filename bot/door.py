"""`/slack/events`, checked in the order that keeps a hostile request cheap and quiet: its
size, then its signature on the raw bytes (nothing parses a body before that, bar a look at
the few bytes of Slack's certificate check), then the shape of its payload (`bot.payload`);
only then does Bolt see it.

A missing, stale or wrong signature is refused with 401 and one short log line (never the
body: anyone can send a megabyte). The one unsigned request Slack sends, the `ssl_check=1` it
posts to check a slash command URL's certificate, is answered 200 and does nothing. A signed
body that is no Slack payload is refused with 400; a signed payload this app does not serve,
or of a shape Slack does not send, is acknowledged (200) and ignored with a warning, so Slack
does not retry it and nothing is done with it.
"""

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from slack_bolt import BoltResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot import payload

log = logging.getLogger(__name__)

# Slack's largest payloads (a view submission with its full state) stay far below this.
BODY_MAX_BYTES = 1_000_000
# How old a signed request may be (Slack's advice: five minutes), against replays.
FRESH_SECONDS = 5 * 60
SSL_CHECK_MAX_BYTES = 200  # `ssl_check=1&token=…`
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


class SlackDoor:
    """Hands Bolt only fresh, signed requests whose payload has the shape Slack sends."""

    def __init__(self, bolt: AsyncApp, signing_secret: str):
        self.bolt = bolt
        self.secret = signing_secret.encode()

    async def handle(self, request: Request) -> Response:
        """The Starlette endpoint: a declared length within the limit, then `answer`."""
        size = request.headers.get("content-length")
        if size is None or not size.isdigit():
            return PlainTextResponse("Send a Content-Length.", status_code=411)
        if int(size) > BODY_MAX_BYTES:
            return PlainTextResponse("Request body too large.", status_code=413)
        body = await request.body()
        sender = request.client.host if request.client else "somewhere"
        answer = await self.answer(body, request.headers, request.query_params, sender=sender)
        return to_starlette_response(answer)

    def signed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's v0 signature (HMAC-SHA256 of `v0:{timestamp}:{body}`) over these very bytes,
        made in the last five minutes (https://api.slack.com/authentication/verifying-requests-from-slack)."""
        stamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not TIMESTAMP.match(stamp) or not SIGNATURE.match(signature):
            return False
        if abs(time.time() - int(stamp)) > FRESH_SECONDS:
            return False
        signed = b"v0:" + stamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    async def answer(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str] | None = None,
        *,
        sender: str = "somewhere",
    ) -> BoltResponse:
        """The answer to a request of at most BODY_MAX_BYTES."""
        headers = {name.lower(): value for name, value in headers.items()}
        if is_ssl_check(body):
            return BoltResponse(status=200, body="")
        if not self.signed(body, headers):
            log.warning(
                "slack: refused a request without a fresh, valid signature (%d bytes from %s)",
                len(body),
                sender,
            )
            return BoltResponse(status=401, body="Invalid or stale Slack signature.")
        try:
            checked = payload.read(body, headers.get("content-type"))
        except payload.Unreadable as error:
            log.warning("slack: refused a signed request: %s", error)
            return BoltResponse(status=400, body=str(error))
        except payload.Unexpected as error:
            log.warning("slack: acknowledged and ignored %s", error)
            return BoltResponse(status=200, body="")
        request = AsyncBoltRequest(
            body=json.dumps(checked), query=dict(query or {}), headers=headers
        )
        return await self.bolt.async_dispatch(request)


def is_ssl_check(body: bytes) -> bool:
    """Slack's unsigned certificate check (https://api.slack.com/interactivity/slash-commands):
    a short form with `ssl_check=1` and nothing else of consequence."""
    if len(body) > SSL_CHECK_MAX_BYTES:
        return False
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    return form.get("ssl_check") == "1" and not {"command", "payload"} & form.keys()
