"""`GET /journeys`: the workspace's journeys; `GET /journeys/{id}`: the visual map of one
journey, and its exports.

The page is static; it reads the map through `/graphql` (`journeyMap`) with the visitor's
credential, so it sees exactly what that may see: a map session opened by a personal link from
Slack (web.sign_in; kept in sessionStorage), or an API token pasted once (kept in localStorage).
`{id}` is a journey's UUID (as Slack links carry it) or its GraphQL global id. Its period,
persona and entry channel live in the query string (`days` or `from`/`to`, `persona`,
`channel`), so a link shows the same view; `/journeys/{id}.png|.svg|.pdf` take the same.
"""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from web.addresses import global_id, node_uuid
from web.exports import export
from web.sign_in import sign_in

STATIC = Path(__file__).parent / "static"
PAGE = (STATIC / "journey_map.html").read_text()
LIST_PAGE = (STATIC / "journeys.html").read_text()

# The page loads only this server's scripts and styles and talks only to this server. The
# charts need neither eval nor inline styles: vega-embed runs Vega's expressions with its
# interpreter (`ast: true`) and adds no stylesheet of its own (`defaultStyle: false`).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def journey_global_id(raw: str) -> str | None:
    """The GraphQL global id for a path segment holding a UUID or a global id already."""
    found = node_uuid(raw, "Journey")
    return None if found is None else global_id("Journey", found)


async def journey_map(request: Request) -> Response:
    global_id_ = journey_global_id(request.path_params["journey_id"])
    if global_id_ is None:
        return HTMLResponse(
            "<!doctype html><title>Not found</title><p>That is not a journey address.</p>",
            status_code=404,
            headers=SECURITY_HEADERS,
        )
    return HTMLResponse(PAGE.replace("{{JOURNEY_ID}}", global_id_), headers=SECURITY_HEADERS)


async def journey_list(request: Request) -> Response:
    return HTMLResponse(LIST_PAGE, headers=SECURITY_HEADERS)


def routes() -> list[BaseRoute]:
    return [
        Route("/journeys/sign-in", sign_in, methods=["POST"]),
        Route("/journeys", journey_list),
        Route("/journeys/{journey_id}.{format}", export),
        Route("/journeys/{journey_id}", journey_map),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
