"""`/graphql`: strawberry's ASGI view with bearer-token auth in front of it.

HTTP: GraphiQL loads on a plain GET without a token; every operation (POST) needs a valid token
or gets a 401 with a JSON message. Websockets (graphql-transport-ws) authenticate with the
connection_init payload `{"Authorization": "Bearer …"}` and are closed with 4403 without one.
"""

from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from graphql_api.auth import auth_failure, authenticate
from graphql_api.context import Context
from graphql_api.schema import schema
from journeyops.body import body_within
from journeyops.runtime import Runtime

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
        if scope["type"] == "http" and not self._is_graphiql_page(scope):
            refusal = await self._authenticate_http(scope)
            if refusal is None:
                body = await body_within(receive, MAX_BODY_BYTES)
                if body is None:
                    refusal = _too_large()
                else:
                    receive = _replay(body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

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
            return JSONResponse(
                {"error": "unauthenticated", "message": auth_failure(authorization)},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        scope.setdefault("state", {})["viewer"] = viewer
        return None

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
    return JSONResponse(
        {"error": f"Requests are limited to {MAX_BODY_BYTES // 1024} KiB; send a smaller one."},
        status_code=413,
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
