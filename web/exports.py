"""`GET /journeys/{id}.png|.svg|.pdf`: the journey map's picture, drawn on the server from the
same Vega-Lite spec the page shows (domain.journey_map.picture), with vl-convert.

Authenticated like `/graphql`, with `Authorization: Bearer <token>` (an API token or a map
session): a browser link cannot carry that header, so the page fetches the export with the
credential it holds and offers the file as a download; scripts call it directly. Period,
persona and entry channel come from the query string as on the page (`days`, or `from` and
`to`; `persona`; `channel`).
"""

import uuid
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.auth import credentials
from domain.errors import DomainError, ErrorCode
from domain.journey_map import picture
from domain.journey_map import service as map_service
from infrastructure.bearer import bearer_token
from infrastructure.drawing import DrawingFailed, draw
from web.addresses import node_uuid


def _refusal(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, "field": field}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


class BadQuery(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(f"`{name}` must be a date as YYYY-MM-DD, not “{raw[:40]}”.", name) from None


def _days(request: Request) -> int | None:
    raw = request.query_params.get("days")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        raise BadQuery(f"`days` must be a whole number of days, not “{raw[:40]}”.", "days")
    return int(raw)


def _persona(request: Request) -> uuid.UUID | None:
    raw = request.query_params.get("persona")
    if not raw:
        return None
    found = node_uuid(raw, "Persona")
    if found is None:
        raise BadQuery("`persona` must be a persona's id.", "persona")
    return found


async def _authenticated_workspace(request: Request) -> uuid.UUID | None:
    secret = bearer_token(request.headers.get("authorization"))
    if secret is None:
        return None
    runtime = request.app.state.runtime
    async with runtime.transaction() as session:
        found = await credentials.authenticate(session, secret=secret, now=runtime.clock())
    return None if found is None else found.workspace_id


async def export(request: Request) -> Response:
    try:
        format = picture.Format(request.path_params["format"])
    except ValueError:
        return _refusal(404, "NOT_FOUND", "Exports are .png, .svg or .pdf.")
    journey_id = node_uuid(request.path_params["journey_id"], "Journey")
    if journey_id is None:
        return _refusal(404, "NOT_FOUND", "That is not a journey address.")
    workspace_id = await _authenticated_workspace(request)
    if workspace_id is None:
        return _refusal(
            401, "UNAUTHENTICATED", "Send an API token as `Authorization: Bearer <token>`."
        )
    try:
        options = {
            "days": _days(request),
            "start": _date(request, "from"),
            "end": _date(request, "to"),
            "persona_id": _persona(request),
            "channel": request.query_params.get("channel") or None,
        }
    except BadQuery as bad:
        return _refusal(400, ErrorCode.INVALID.value, str(bad), bad.field)
    try:
        # Committed: the catch-up fold a read may do (domain.metrics.fold) is kept.
        async with request.app.state.runtime.transaction() as session:
            journey_map = await map_service.journey_map(
                session, workspace_id=workspace_id, journey_id=journey_id, **options
            )
    except DomainError as error:
        status = 404 if error.code is ErrorCode.NOT_FOUND else 400
        return _refusal(status, error.code.value, error.message, error.field)
    try:
        drawn = await draw(journey_map, format)
    except DrawingFailed as failure:
        return _refusal(503, "DRAWING_FAILED", f"The picture could not be drawn: {failure}.")
    name = picture.file_name(journey_map, format)
    return Response(
        drawn,
        media_type=picture.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # An SVG opened on its own runs no script and loads nothing.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )
