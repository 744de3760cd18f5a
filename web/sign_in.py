"""`POST /journeys/sign-in`: the map page exchanges a personal link from Slack for a map session
(domain.auth.map_links).

The link carries its secret in the address's fragment (`/journeys/{id}#sign-in=jol_…`), which
browsers never send to a server: it stays out of access logs and Referer headers, and link
previews and scanners that fetch the address cannot spend it. The page reads it, removes it
from the address bar and posts it here as JSON; the answer is the session's bearer secret, which
the page keeps in sessionStorage (this tab only) and sends as `Authorization: Bearer`. No cookie
is set, so another site can make the browser do nothing with it.
"""

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.auth import map_links
from infrastructure.body import body_within

MAX_BODY_BYTES = 1024
NO_STORE = {"Cache-Control": "no-store"}


def _refusal(status: int, code: str, message: str, reason: str | None = None) -> JSONResponse:
    extensions = {"code": code} | ({"reason": reason} if reason else {})
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=NO_STORE,
    )


async def _link(request: Request) -> str | None:
    body = await body_within(request.receive, MAX_BODY_BYTES)
    try:
        link = json.loads(body or b"").get("link")
    except (ValueError, AttributeError):
        return None
    return link if isinstance(link, str) else None


async def sign_in(request: Request) -> JSONResponse:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refusal(415, "UNSUPPORTED_MEDIA_TYPE", 'Send the link as JSON: {"link": …}.')
    link = await _link(request)
    if link is None:
        return _refusal(400, "INVALID", 'Send the link as JSON: {"link": "jol_…"}.')
    runtime = request.app.state.runtime
    try:
        async with runtime.transaction() as session:
            opened = await map_links.exchange(session, link=link, now=runtime.clock())
    except map_links.LinkRefused as refused:
        return _refusal(403, refused.code.value, refused.message, refused.refusal.value)
    return JSONResponse(
        {
            "session": opened.secret,
            "expiresAt": opened.expires_at.isoformat(),
            "scope": opened.scope.value.upper(),
            "name": opened.person_name,
        },
        headers=NO_STORE,
    )
