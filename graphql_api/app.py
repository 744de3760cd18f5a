"""`/graphql`: strawberry's ASGI view with bearer-token auth in front of it.

HTTP: GraphiQL loads on a plain GET without a token; every operation (POST) needs a valid token
or gets a 401. Responses are in the media type `Accept` asks for, with the status codes the
GraphQL over HTTP spec gives it (graphql_api.media); whatever is refused before GraphQL runs
(no token, too large, compressed, malformed JSON, no database) is a GraphQL error in JSON too.
Websockets (graphql-transport-ws) authenticate with the connection_init payload
`{"Authorization": "Bearer …"}` and are closed with 4403 without one.
"""

import json
import logging
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from graphql_api.auth import auth_failure, authenticate
from graphql_api.context import Context
from graphql_api.media import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    content_type,
    error_response,
    is_request_error,
    response_media_type,
)
from graphql_api.schema import schema
from infrastructure.body import body_within
from infrastructure.outage import RETRY_AFTER_SECONDS, database_unreachable
from infrastructure.runtime import Runtime

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20


class GraphQLView(GraphQL):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            # Operations only by POST: a GET can be triggered cross-site without the token.
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            # Websockets authenticate with a token in connection_init, never with cookies, so a
            # page on any origin gains nothing it could not do with the token anyway.
            allowed_origins=("*",),
        )
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_graphiql_page(scope):
            await super().__call__(scope, receive, send)
            return
        media_type = response_media_type(Headers(scope=scope).get("accept"))
        try:
            response = await self._answer(scope, receive, media_type)
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning("GraphQL request refused, database unreachable: %r", error)
            response = _database_unreachable(media_type)
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, media_type: str | None) -> Response:
        refusal = await self._authenticate_http(scope)
        if refusal is not None:
            return refusal
        if media_type is None:
            return error_response(
                f"This endpoint answers in {GRAPHQL_RESPONSE_JSON} or {JSON}; accept one of them.",
                406,
                JSON,
            )
        if Headers(scope=scope).get("content-encoding", "identity").lower() != "identity":
            return error_response(
                "Send the request body uncompressed (no Content-Encoding).", 415, media_type
            )
        body = await body_within(receive, MAX_BODY_BYTES)
        if body is None:
            return _too_large()
        try:
            return await self.run(Request(scope, _replay(body)))
        except HTTPException as error:  # strawberry's refusals of malformed requests
            return error_response(error.reason, error.status_code, media_type)

    def _is_graphiql_page(self, scope: Scope) -> bool:
        request = Request(scope)
        return request.method == "GET" and "query" not in request.query_params

    async def _authenticate_http(self, scope: Scope) -> Response | None:
        """Put the viewer in the scope's state, or answer why not."""
        headers = Headers(scope=scope)
        if int(headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return _too_large()
        authorization = headers.get("authorization")
        viewer = await authenticate(self.runtime, authorization)
        if viewer is None:
            message = auth_failure(authorization)
            return error_response(
                message,
                401,
                JSON,
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
                legacy={"error": "unauthenticated", "message": message},
            )
        scope.setdefault("state", {})["viewer"] = viewer
        return None

    def decode_json(self, data: str | bytes) -> object:
        """A body JSON cannot decode is the client's mistake (400), also when it is not UTF-8,
        holds integers beyond what Python converts, or nests deeper than the decoder recurses."""
        try:
            return json.loads(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, f"The request body is not valid JSON: {error}.") from None
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not UTF-8 encoded JSON.") from None
        except RecursionError:
            reason = "The request body nests JSON too deeply; send flatter variables."
            raise HTTPException(400, reason) from None
        except ValueError:  # Python refuses integers of more than 4,300 digits
            reason = "The request body holds a number with too many digits."
            raise HTTPException(400, reason) from None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept")) or JSON
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Request errors answer 400 without `data` in application/graphql-response+json, and
        200 with `"data": null` in application/json, as the GraphQL over HTTP spec has them."""
        status_code = sub_response.status_code or 200
        media_type = sub_response.media_type or JSON
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and is_request_error(response_data)
        ):
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            status_code = 400
        response = Response(
            self.encode_json(response_data),
            status_code=status_code,
            media_type=content_type(media_type),
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A resolver that lost the database fails the whole request with 503: retrying later
        will work, which "Unexpected error." would not say."""
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if context.lost_database is not None:
            raise context.lost_database
        return result

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        is_http = isinstance(request, Request)
        return Context(
            runtime=self.runtime,
            request=request,
            response=response,
            viewer=request.scope.get("state", {}).get("viewer") if is_http else None,
            cache=is_http,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        """graphql-transport-ws connection_init: authenticate, or refuse (closes with 4403)."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization")
        context.viewer = await authenticate(self.runtime, authorization)
        if context.viewer is None:
            raise ConnectionRejectionError({"message": auth_failure(authorization)})
        return UNSET


def _too_large() -> Response:
    message = f"Requests are limited to {MAX_BODY_BYTES // 1024} KiB; send a smaller one."
    return error_response(message, 413, JSON, code="PAYLOAD_TOO_LARGE", legacy={"error": message})


def _database_unreachable(media_type: str | None) -> Response:
    return error_response(
        f"The database cannot be reached right now; retry in {RETRY_AFTER_SECONDS} seconds.",
        503,
        media_type,
        code="UNAVAILABLE",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _replay(body: bytes) -> Receive:
    """A `receive` that hands the already-read body to the GraphQL view."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def graphql_routes(runtime: Runtime) -> list[BaseRoute]:
    view = GraphQLView(runtime)
    return [Route("/graphql", view, methods=["GET", "POST"]), WebSocketRoute("/graphql", view)]
