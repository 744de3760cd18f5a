"""The three endpoints. Limits as Segment's: 32 KB an event, 500 KB a batch (413 beyond)."""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.event import jsontext
from domain.event import service as event_service
from domain.event.message import BATCH_BYTES_MAX, EVENT_BYTES_MAX
from domain.event.service import IngestResult, Status
from ingest_api.auth import Refused, writer
from journeyops.body import body_within


class TooLarge(Refused):
    def __init__(self, limit: int, what: str):
        super().__init__(
            413,
            f"{what} is larger than {limit // 1024} KB, the limit; split it into smaller "
            "batches (at most 500 KB each, 32 KB an event).",
        )


async def _body(request: Request, limit: int, what: str) -> bytes:
    """The request body, read no further than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit, what)
    body = await body_within(request.receive, limit)
    if body is None:
        raise TooLarge(limit, what)
    return body


def _json(body: bytes) -> Any:
    try:
        return jsontext.loads(body)
    except ValueError:
        raise Refused(400, "The body is not valid JSON.") from None


def _answer(result: IngestResult, status_code: int = 200) -> JSONResponse:
    problems = [
        {
            "index": r.index,
            "messageId": r.message_id,
            "status": r.status.value,
            **({"reason": r.reason.value, "message": r.message} if r.reason else {}),
        }
        for r in result.results
        if r.status is not Status.ACCEPTED
    ]
    return JSONResponse(
        {
            "success": result.rejected == 0,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "events": problems,  # only those not accepted, in batch order
        },
        status_code=status_code,
    )


async def _ingest(request: Request, events: list[Any], default_type: str | None) -> IngestResult:
    runtime = request.app.state.runtime
    async with runtime.db.begin() as session:
        token = await writer(session, request)
        result = await event_service.ingest(
            session, workspace_id=token.workspace_id, events=events, default_type=default_type
        )
    if result.accepted:
        runtime.folder.nudge(token.workspace_id)  # committed: metrics take it in shortly
    return result


def _refusal(refused: Refused) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="journeyops"'} if refused.status == 401 else None
    return JSONResponse(
        {"success": False, "message": refused.message}, status_code=refused.status, headers=headers
    )


async def batch(request: Request) -> JSONResponse:
    try:
        payload = _json(await _body(request, BATCH_BYTES_MAX, "The batch"))
        if not isinstance(payload, dict) or not isinstance(payload.get("batch"), list):
            raise Refused(400, 'Send {"batch": [event, …]}.')
        return _answer(await _ingest(request, payload["batch"], None))
    except Refused as refused:
        return _refusal(refused)


def _single(default_type: str):
    async def endpoint(request: Request) -> JSONResponse:
        try:
            event = _json(await _body(request, EVENT_BYTES_MAX, "The event"))
            result = await _ingest(request, [event], default_type)
            return _answer(result, 400 if result.rejected else 200)
        except Refused as refused:
            return _refusal(refused)

    return endpoint


def routes() -> list[Route]:
    return [
        Route("/v1/batch", batch, methods=["POST"]),
        Route("/v1/track", _single("track"), methods=["POST"]),
        Route("/v1/identify", _single("identify"), methods=["POST"]),
    ]
