"""The endpoints, answering as Segment's Tracking API does, so that Segment's and RudderStack's
libraries do the right thing with each answer.

- 200 for every batch that was read, with a status for each event not stored (good events are
  stored whatever the others hold); the libraries count it as delivered.
- 4xx for a request that will never succeed as sent: the libraries drop it (they retry only
  429 and 5xx). The body names the problem in `code` (which both libraries read) and
  `message`.
- 503 with `Retry-After` while the database cannot be reached: the libraries keep the batch and
  send it again.

Limits as Segment's: 32 KB an event, 500 KB a batch (413 beyond), counted on the decoded body
when it comes compressed (infrastructure.body). Segment bounds a batch by its bytes, not its
count; the ingestion use case takes at most BATCH_EVENTS_MAX events at a time (as every door
meets it), so a longer batch is stored in parts. The token is checked before the body is read
or parsed, so an unauthenticated sender costs no parsing.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.errors import DomainError, ErrorCode
from domain.event import jsontext
from domain.event import service as event_service
from domain.event.message import (
    BATCH_BYTES_MAX,
    BATCH_EVENTS_MAX,
    DEPTH_MAX,
    EVENT_BYTES_MAX,
    decode_batch,
)
from domain.event.service import IngestResult, Status
from infrastructure import telemetry
from infrastructure.body import CorruptBody, UnsupportedEncoding, body_within, encoding_of
from infrastructure.outage import RETRY_AFTER_SECONDS, database_unreachable
from ingest_api.auth import Refused, Writer, writer

log = logging.getLogger(__name__)


class TooLarge(Refused):
    def __init__(self, limit: int, what: str):
        super().__init__(
            413,
            f"{what} is larger than {limit // 1024} KB, the limit; split it into smaller "
            "batches (at most 500 KB each, 32 KB an event).",
            code="payload_too_large",
        )


async def _body(request: Request, limit: int, what: str) -> bytes:
    """The request body, decoded, read and inflated no further than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit, what)
    try:
        body = await body_within(
            request.receive, limit, encoding_of(request.headers.get("content-encoding"))
        )
    except UnsupportedEncoding as error:
        raise Refused(415, str(error), code="unsupported_encoding") from None
    except CorruptBody as error:
        raise Refused(400, str(error), code="invalid_body") from None
    if body is None:
        raise TooLarge(limit, what)
    return body


def _json(body: bytes) -> Any:
    try:
        return jsontext.loads(body)
    except jsontext.TooDeep as error:
        raise Refused(
            400, f"{error} An event may nest at most {DEPTH_MAX} levels.", code="invalid_json"
        ) from None
    except ValueError:
        raise Refused(400, "The body is not valid JSON.", code="invalid_json") from None


def _answer(result: IngestResult, status_code: int = 200) -> JSONResponse:
    problems = [
        {
            "index": r.index,
            "messageId": r.message_id,
            "status": r.status.value,
            **({"reason": r.reason.value} if r.reason else {}),
            **({"message": r.message} if r.message else {}),
        }
        for r in result.results
        if r.status is not Status.ACCEPTED
    ]
    first = problems[0] if status_code >= 400 and problems else None
    return JSONResponse(
        {
            "success": result.rejected == 0,
            **({"code": first["reason"], "message": first["message"]} if first else {}),
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "ignored": result.ignored,
            "rejected": result.rejected,
            "events": problems,  # only those not accepted, in batch order
        },
        status_code=status_code,
    )


async def _writer(request: Request) -> Writer:
    async with request.app.state.runtime.transaction() as session:
        return await writer(session, request)  # remembered: usually no query at all


async def _ingest(
    request: Request, token: Writer, events: list[Any], default_type: str | None
) -> IngestResult:
    """The events stored BATCH_EVENTS_MAX at a time, each part a unit of work of its own. A
    part lost to an outage answers 503 and the library sends the whole batch again: the parts
    already stored are then acknowledged as duplicates, so nothing is stored twice."""
    received_at, result = datetime.now(UTC), IngestResult()
    for start in range(0, max(len(events), 1), BATCH_EVENTS_MAX):  # an empty batch is judged too
        try:
            async with request.app.state.runtime.transaction() as session:
                part = await event_service.ingest(
                    session,
                    workspace_id=token.workspace_id,
                    events=events[start : start + BATCH_EVENTS_MAX],
                    default_type=default_type,
                    received_at=received_at,
                )
        except DomainError as error:  # a part as a whole
            answer = 413 if error.code is ErrorCode.PAYLOAD_TOO_LARGE else 400
            raise Refused(answer, error.message, code=error.code.value.lower()) from None
        for r in part.results:  # made for this answer alone: renumbered in place, not copied
            r.index += start
        result.results += part.results
    telemetry.count_events(result)
    return result


def _refusal(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    return JSONResponse(
        {"success": False, "code": code, "message": message}, status_code=status, headers=headers
    )


def _answering(read_and_ingest):
    """The endpoint: its refusals, 503 while the database is away, and a JSON 500 (logged with
    its traceback) for anything unforeseen."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await read_and_ingest(request)
        except Refused as refused:
            headers = {"WWW-Authenticate": 'Basic realm="journeyops"'}
            return _refusal(
                refused.status,
                refused.code,
                refused.message,
                headers if refused.status == 401 else None,
            )
        except Exception as error:
            if not database_unreachable(error):
                log.exception("ingest failed on %s", request.url.path)
                return _refusal(500, "internal_error", "Something went wrong; send it again.")
            log.warning("database unavailable on %s: %s", request.url.path, type(error).__name__)
            return _refusal(
                503,
                "database_unavailable",
                "The database cannot be reached just now; send it again shortly.",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )

    return endpoint


@_answering
async def batch(request: Request) -> JSONResponse:
    token = await _writer(request)
    body = await _body(request, BATCH_BYTES_MAX, "The batch")
    events: list[Any] | None = decode_batch(body)  # the usual batch, decoded in C
    if events is None:
        payload = _json(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("batch"), list):
            raise Refused(400, 'Send {"batch": [event, …]}.', code="invalid_request")
        events = payload["batch"]
    return _answer(await _ingest(request, token, events, None))


def _single(default_type: str):
    @_answering
    async def endpoint(request: Request) -> JSONResponse:
        token = await _writer(request)
        event = _json(await _body(request, EVENT_BYTES_MAX, "The event"))
        result = await _ingest(request, token, [event], default_type)
        return _answer(result, 400 if result.rejected else 200)

    return endpoint


def routes() -> list[Route]:
    return [
        Route("/v1/batch", batch, methods=["POST"]),
        *(
            Route(f"/v1/{call}", _single(call), methods=["POST"])
            for call in ("track", "identify", "page", "screen", "group", "alias")
        ),
    ]
