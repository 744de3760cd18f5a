"""GraphQL over HTTP (the graphql-over-http spec): which media type a response is in, and the
status code a GraphQL response gets in it.

`application/graphql-response+json` is what the spec prefers: a request error (the document
does not parse or validate, its variables do not coerce) answers 400 without a `data` entry,
so a client can trust a non-2xx status. `application/json` is what clients had before it, and
keeps its behaviour: 200 for every well-formed request, `"data": null` on request errors. A
client that sends no `Accept`, or `*/*`, gets `application/json`.
"""

from typing import Any

from starlette.responses import JSONResponse

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

WILDCARDS = ("*/*", "application/*")


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for media_range in accept.split(","):
        name, _, parameters = media_range.partition(";")
        ranges.append((name.strip().lower(), _quality(parameters)))
    return ranges


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer a request with this `Accept` in, or None when it accepts
    neither JSON type (the spec's 406). Highest quality wins; among equals, a type named
    outright wins over a wildcard, and the one listed first over later ones. A wildcard stands
    for `application/json` unless that was refused (`q=0`)."""
    if not accept or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    refused = {name for name, quality in ranges if quality <= 0}
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, (name, quality) in enumerate(ranges):
        if quality <= 0:
            continue
        if name in (GRAPHQL_RESPONSE_JSON, JSON):
            candidate, named = name, 1
        elif name in WILDCARDS:
            candidate = next((t for t in (JSON, GRAPHQL_RESPONSE_JSON) if t not in refused), None)
            named = 0
        else:
            continue
        rank = (quality, named, -position)
        if candidate is not None and (best is None or rank > best):
            best, chosen = rank, candidate
    return chosen


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


def is_request_error(response: dict[str, Any]) -> bool:
    """Whether a GraphQL response reports a request error: nothing was executed, so there is
    no data, and no error belongs to a field (field errors carry a `path`)."""
    errors = response.get("errors") or []
    return response.get("data") is None and bool(errors) and not any("path" in e for e in errors)


def error_response(
    message: str,
    status_code: int,
    media_type: str | None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    legacy: dict[str, Any] | None = None,
) -> JSONResponse:
    """A GraphQL response with one error and no data, for requests refused before they ran.
    `legacy` keeps the keys earlier versions answered with (`error`, `message`)."""
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return JSONResponse(
        {**(legacy or {}), "errors": [error]},
        status_code=status_code,
        headers=headers,
        media_type=content_type(media_type or JSON),
    )
