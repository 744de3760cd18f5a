"""Builds the Bolt app (HTTP mode) and the Starlette routes Slack talks to.

One Request URL (`/slack/events`) takes slash commands, interactivity and events. With
SLACK_CLIENT_ID/SECRET the app is installable into many Slack workspaces through OAuth
(`/slack/install`, `/slack/oauth_redirect`), installations kept in our PostgreSQL; otherwise
it serves the one workspace of SLACK_BOT_TOKEN.
"""

import logging

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import installations, listeners
from bot.middleware import workspace_middleware
from journeyops.runtime import Runtime

log = logging.getLogger(__name__)

# What the manifest (bot/manifest.yml) asks for; the OAuth flow requests the same.
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "users:read",
]
RETRIES = 2
# Slack's largest payloads (a view submission with its full state) stay far below this.
BODY_MAX_BYTES = 1_000_000


def web_client(runtime: Runtime, *, with_token: bool) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that retries rate limits, 5xx and dropped connections
    (with the bot token in single-workspace mode; OAuth mode finds each team's token)."""
    settings = runtime.settings
    token = (
        settings.slack_bot_token.get_secret_value()
        if with_token and settings.slack_bot_token
        else None
    )
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers = [
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
    ]
    return client


def create_bolt_app(runtime: Runtime) -> AsyncApp:
    settings = runtime.settings
    assert settings.slack_signing_secret is not None
    oauth_settings = None
    if settings.slack_client_id and settings.slack_client_secret:
        store = installations.installation_store(runtime.engine, settings.slack_client_id)
        oauth_settings = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=BOT_SCOPES,
            installation_store=store,
            state_store=installations.state_store(runtime.engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
        )
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=web_client(runtime, with_token=oauth_settings is None),
        oauth_settings=oauth_settings,
        installation_store=oauth_settings.installation_store if oauth_settings else None,
    )
    app.middleware(workspace_middleware(runtime, one_workspace_per_team=oauth_settings is not None))
    listeners.register(app)
    if oauth_settings is not None:
        # An uninstalled app's tokens are deleted from our store, not kept around.
        app.enable_token_revocation_listeners()
    return app


def routes(runtime: Runtime) -> list[BaseRoute]:
    """`/slack/events`, `/slack/install`, `/slack/oauth_redirect`; while Slack is not
    configured they answer 503 saying what to set."""
    settings = runtime.settings
    if settings.slack_signing_secret is None or not (
        settings.slack_bot_token or (settings.slack_client_id and settings.slack_client_secret)
    ):

        async def not_configured(request: Request) -> Response:
            return PlainTextResponse(
                "Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
                "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install through OAuth).",
                status_code=503,
            )

        paths = ("/slack/events", "/slack/install", "/slack/oauth_redirect")
        return [Route(path, not_configured, methods=["GET", "POST"]) for path in paths]

    handler = AsyncSlackRequestHandler(create_bolt_app(runtime))

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            size = request.headers.get("content-length")
            if size is None or not size.isdigit():
                return PlainTextResponse("Send a Content-Length.", status_code=411)
            if int(size) > BODY_MAX_BYTES:
                return PlainTextResponse("Request body too large.", status_code=413)
        return await handler.handle(request)

    return [
        Route("/slack/events", endpoint, methods=["POST"]),
        Route("/slack/install", endpoint, methods=["GET"]),
        Route("/slack/oauth_redirect", endpoint, methods=["GET"]),
    ]
