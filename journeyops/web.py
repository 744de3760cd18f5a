"""The one HTTP server: every door mounted on a single Starlette app."""

import asyncio
import contextlib
import gc
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route

from bot.app import routes as slack_routes
from graphql_api.app import graphql_routes
from infrastructure import drawing, telemetry
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings, get_settings
from ingest_api import views as ingest
from journeyops.health import healthz
from journeyops.jobs import scheduled_jobs
from journeyops.logs import setup_logging
from journeyops.worker import run_forever
from web import routes as journey_map

log = logging.getLogger(__name__)


def routes(runtime: Runtime) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Route("/metrics", telemetry.metrics),
        *graphql_routes(runtime),
        *journey_map.routes(),
        *ingest.routes(),
        *slack_routes(runtime),
    ]


def _tune_garbage_collection() -> None:
    """A batch of events parses into thousands of small objects that die with its request;
    Python's default collector would run every 700 of them and, now and then, walk every
    object the process ever loaded (schema, models, libraries). Those are frozen once started,
    and the youngest generation is collected every 50,000 allocations instead."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _cors(origins: list[str]) -> list[Middleware]:
    """Frontends on other origins may call the API with a bearer token; no cookies are
    involved, so credentials stay off."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    ]


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    with_worker: bool = False,
    draw_ahead: bool = False,
) -> Starlette:
    """The web app. `database_url` overrides the settings (tests point it at their database);
    `with_worker` also runs the worker's jobs in this process (as `journeyops demo` does);
    `draw_ahead` starts the drawing processes with the app and stops them with it (a served
    app; an app in a test starts them only if it draws, and keeps them for the process)."""
    settings = settings or get_settings()
    runtime = Runtime.create(settings, database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await runtime.live.start()
        # The first export need not wait for the drawing processes to start.
        warming = asyncio.create_task(drawing.warm_up()) if draw_ahead else None
        stop = asyncio.Event()
        worker = (
            asyncio.create_task(run_forever(runtime, scheduled_jobs(settings), stop))
            if with_worker
            else None
        )
        _tune_garbage_collection()
        try:
            yield
        finally:
            stop.set()
            if worker:
                await worker
            await runtime.close()
            if warming:
                await warming
                await drawing.shut_down()

    app = Starlette(
        routes=routes(runtime), lifespan=lifespan, middleware=_cors(settings.allowed_origins)
    )
    app.state.runtime = runtime
    return app


def served_app() -> Starlette:
    """The app as each of `journeyops serve --workers N`'s processes builds it for itself."""
    setup_logging()
    return create_app(draw_ahead=True)
