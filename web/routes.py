"""`GET /journeys/{id}`: the visual map of one journey.

The page is static; it reads the journey through `/graphql` with the visitor's API token (kept in
the browser's local storage), so it sees exactly what that token may see. `{id}` is a journey's
UUID (as Slack links carry it) or its GraphQL global id.
"""

import base64
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PAGE = (STATIC / "journey_map.html").read_text()

# The page loads only its own script and style and talks only to this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def journey_global_id(raw: str) -> str | None:
    """The GraphQL global id for a path segment holding a UUID or a global id already."""
    try:
        return base64.b64encode(f"Journey:{uuid.UUID(raw)}".encode()).decode()
    except ValueError:
        pass
    try:
        type_name, _, node_id = base64.b64decode(raw, validate=True).decode().partition(":")
        uuid.UUID(node_id)
    except ValueError:
        return None
    return raw if type_name == "Journey" else None


async def journey_map(request: Request) -> Response:
    global_id = journey_global_id(request.path_params["journey_id"])
    if global_id is None:
        return HTMLResponse(
            "<!doctype html><title>Not found</title><p>That is not a journey address.</p>",
            status_code=404,
            headers=SECURITY_HEADERS,
        )
    return HTMLResponse(PAGE.replace("{{JOURNEY_ID}}", global_id), headers=SECURITY_HEADERS)


def routes() -> list[BaseRoute]:
    return [
        Route("/journeys/{journey_id}", journey_map),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
