"""Builds the Bolt app (HTTP mode) and the Starlette routes Slack talks to.

One Request URL (`/slack/events`) takes slash commands, interactivity and events, through
`bot.door` (signature, then payload shape, then Bolt). With SLACK_CLIENT_ID/SECRET the app is
installable into many Slack workspaces through OAuth (`/slack/install`,
`/slack/oauth_redirect`), installations kept in our PostgreSQL; otherwise it serves the one
workspace of SLACK_BOT_TOKEN. Either way a request is authorized without a Web API call
(`bot.authorize`).
"""

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import installations, listeners
from bot.authorize import ConfiguredToken, StoredInstallation
from bot.door import SlackDoor
from bot.listeners import uninstalled
from bot.middleware import workspace_middleware
from bot.web_api import web_client
from infrastructure.outage import RETRY_AFTER_SECONDS, database_unreachable
from infrastructure.runtime import Runtime

log = logging.getLogger(__name__)

# What the manifest (bot/manifest.yml) asks for; the OAuth flow requests the same.
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
    "im:write",
    "im:history",
]


def create_bolt_app(runtime: Runtime) -> AsyncApp:
    """The Bolt app behind the door: the door has checked the signature already."""
    settings = runtime.settings
    assert settings.slack_signing_secret is not None
    oauth_settings = None
    if installations.uses_oauth(settings):
        assert settings.slack_client_id and settings.slack_client_secret
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
        authorize: Any = StoredInstallation(store)
    else:
        assert settings.slack_bot_token is not None
        authorize = ConfiguredToken(settings.slack_bot_token.get_secret_value())
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=web_client(settings.slack_api_url),
        authorize=authorize,
        oauth_settings=oauth_settings,
        installation_store=oauth_settings.installation_store if oauth_settings else None,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=True,
    )
    app.error(unhandled_or_failed)
    app.middleware(workspace_middleware(runtime, one_workspace_per_team=oauth_settings is not None))
    listeners.register(app)
    if oauth_settings is not None:
        # An uninstalled app's tokens are deleted from our store, not kept around.
        app.enable_token_revocation_listeners()
    else:
        app.event("app_uninstalled")(uninstalled.uninstalled)
        app.event("tokens_revoked")(uninstalled.tokens_revoked)
    return app


async def unhandled_or_failed(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None,
) -> BoltResponse | None:
    """A request no listener takes is acknowledged (a 404 would have Slack retry it) and
    logged in one line; one that met an unreachable database before its acknowledgement is
    answered 503 with Retry-After (Slack retries it), and after it (`response` is None: Slack
    has its answer and will not retry) the person is told privately to try again; a listener
    that failed is logged with its traceback."""
    if isinstance(error, BoltUnhandledRequestError):
        kind = (body.get("event") or {}).get("type") or body.get("type") or body.get("command")
        log.warning("slack: acknowledged a %r request no listener takes", kind)
        return BoltResponse(status=200, body="")
    if database_unreachable(error):
        if response is None:
            log.warning(
                "slack: database unreachable (%s) after the acknowledgement", type(error).__name__
            )
            await _say_try_again(respond)
            return None
        log.warning("slack: database unreachable (%s); asked Slack to retry", type(error).__name__)
        return BoltResponse(
            status=503,
            body="The database cannot be reached just now; Slack will retry.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("slack: a listener failed", exc_info=error)
    return None


async def _say_try_again(respond: AsyncRespond | None) -> None:
    """Tell the person whose request was acknowledged but could not be carried out (requests
    without a response_url, such as events, have nobody to tell)."""
    if respond is None:
        return
    try:
        await respond(
            text="JourneyOps cannot reach its database just now, so nothing was done. Try "
            "again in a few seconds.",
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception:  # Slack unreachable too: the warning above is all there is
        log.warning("slack: could not say the database was unreachable", exc_info=True)


def routes(runtime: Runtime) -> list[BaseRoute]:
    """`/slack/events`, `/slack/install`, `/slack/oauth_redirect`; while Slack is not
    configured they answer 503 saying what to set."""
    settings = runtime.settings
    if settings.slack_signing_secret is None or not installations.slack_connected(settings):

        async def not_configured(request: Request) -> Response:
            return PlainTextResponse(
                "Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
                "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install through OAuth).",
                status_code=503,
            )

        paths = ("/slack/events", "/slack/install", "/slack/oauth_redirect")
        return [Route(path, not_configured, methods=["GET", "POST"]) for path in paths]

    bolt = create_bolt_app(runtime)
    door = SlackDoor(bolt, settings.slack_signing_secret.get_secret_value())
    oauth = AsyncSlackRequestHandler(bolt)
    return [
        Route("/slack/events", door.handle, methods=["POST"]),
        Route("/slack/install", oauth.handle, methods=["GET"]),
        Route("/slack/oauth_redirect", oauth.handle, methods=["GET"]),
    ]
