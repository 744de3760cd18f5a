"""The one HTTP server: every door mounted on a single Starlette app."""

import contextlib
import logging

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from graphql_api.app import graphql_routes
from journeyops.health import healthz
from journeyops.runtime import Runtime
from journeyops.settings import Settings, get_settings

log = logging.getLogger(__name__)


def routes(runtime: Runtime) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        *graphql_routes(runtime),
    ]


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> Starlette:
    """The web app. `database_url` overrides the settings (tests point it at their database)."""
    runtime = Runtime.create(settings or get_settings(), database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await runtime.live.start()
        yield
        await runtime.close()

    app = Starlette(routes=routes(runtime), lifespan=lifespan)
    app.state.runtime = runtime
    return app
