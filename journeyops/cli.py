"""The `journeyops` command: migrate, serve, worker, demo, token, alerts."""

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.event.message import BATCH_EVENTS_MAX
from infrastructure.database import resolve_database_url
from infrastructure.settings import get_settings
from journeyops import migrations
from journeyops.alerts_cli import alerts_app
from journeyops.logs import setup_logging

app = typer.Typer(help="JourneyOps: keep your customer journey map alive.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for GraphQL and event ingestion.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(alerts_app, name="alerts")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again)."""
    setup_logging()
    migrations.upgrade(resolve_database_url(get_settings()))
    typer.echo("database is up to date")


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 8000)")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    workers: Annotated[
        int,
        typer.Option(
            envvar="WEB_CONCURRENCY",
            min=1,
            help="Server processes sharing the port (default: $WEB_CONCURRENCY or 1); "
            "each has its own pool, live listener and background folder.",
        ),
    ] = 1,
) -> None:
    """Serve HTTP: /graphql, /slack/events, /v1/*, /journeys/{id}, /healthz."""
    import uvicorn

    from journeyops.web import create_app

    setup_logging()
    settings = get_settings()
    options: dict[str, Any] = dict(
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,  # log through the root logger set up above
        proxy_headers=True,
    )
    if workers == 1:
        uvicorn.run(create_app(settings, draw_ahead=True), **options)
        return
    if not settings.database_url:
        raise typer.BadParameter(
            "several workers need DATABASE_URL (the embedded database serves one process)",
            param_hint="--workers",
        )
    with _shared_counters():
        uvicorn.run(
            "journeyops.web:served_app",
            factory=True,
            workers=workers,
            # A child imports the whole app before it answers the supervisor's first ping;
            # on a busy machine that takes longer than uvicorn's 5 s, and a killed child's
            # replacement only adds to the load.
            timeout_worker_healthcheck=30,
            **options,
        )


@contextlib.contextmanager
def _shared_counters() -> Iterator[None]:
    """Server processes sharing a port share their /metrics counters through files in one
    directory (prometheus-client's multiprocess mode), set before they start."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="journeyops-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


@app.command()
def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="JOURNEYOPS_WORKER_METRICS_PORT",
            help="Serve this worker's Prometheus counters on this port (default: not served).",
        ),
    ] = None,
) -> None:
    """Run the worker: scheduled jobs such as alert evaluation and Slack delivery."""
    import signal

    from prometheus_client import start_http_server

    from infrastructure.runtime import Runtime
    from journeyops.jobs import scheduled_jobs
    from journeyops.worker import run_forever

    setup_logging()
    if metrics_port is not None:
        start_http_server(metrics_port, addr=get_settings().host)

    async def main() -> None:
        runtime = Runtime.create(get_settings())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        jobs = scheduled_jobs(runtime.settings)
        logging.getLogger("journeyops.worker").info(
            "worker running: %s",
            ", ".join(f"{job.name} every {job.every.total_seconds():g}s" for job in jobs),
        )
        try:
            await run_forever(runtime, jobs, stop)
        finally:
            await runtime.close()

    asyncio.run(main())


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 8000)")] = None,
) -> None:
    """A first look: embedded PostgreSQL, demo data, web and worker in one process."""
    import uvicorn

    from infrastructure.runtime import Runtime
    from journeyops import demo as demo_workspace
    from journeyops.web import create_app

    setup_logging()
    # The demo always runs on the embedded database, never on a configured server.
    settings = get_settings().model_copy(update={"database_url": None})
    if port:
        settings = settings.model_copy(update={"port": port})
    url = resolve_database_url(settings)
    migrations.upgrade(url)

    async def prepare() -> tuple[str, str, bool]:
        runtime = Runtime.create(settings, url)
        try:
            async with runtime.transaction() as session:
                workspace, loaded = await demo_workspace.load(session)
                token = await demo_workspace.fresh_token(session, workspace)
                link = await demo_workspace.signed_in_map(
                    session, workspace, base_url=settings.base_url, now=runtime.clock()
                )
                return token, link, loaded
        finally:
            await runtime.close()

    token, map_link, loaded = asyncio.run(prepare())
    base = settings.base_url
    typer.echo(
        f"""
JourneyOps demo {"loaded" if loaded else "reused"} (data in {settings.data_dir.resolve()})

  Journey map   {map_link}
                (signs you in once, for 8 hours, in that browser tab; run the demo again
                for a new link, or paste the token below on the page)
  GraphiQL      {base}/graphql   (add the header below under "Headers")
  Demo token    {token}
  Header        {{"Authorization": "Bearer {token}"}}

  curl -s {base}/graphql -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"query": "{{ journeys {{ name stages {{ name touchpoints {{ name }} }} }} }}"}}'
"""
    )
    uvicorn.run(
        create_app(settings, database_url=url, with_worker=True, draw_ahead=True),
        host=settings.host,
        port=settings.port,
        log_config=None,
    )


@app.command("import")
def import_events(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    workspace: Annotated[str, typer.Option(help="Workspace name (must exist)")],
    format: Annotated[str | None, typer.Option(help="csv or jsonl (default: by extension)")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=BATCH_EVENTS_MAX)] = BATCH_EVENTS_MAX,
) -> None:
    """Import events from a CSV or JSON-lines file, reporting every bad line by number."""
    from journeyops.event_import import import_file

    settings = get_settings()
    try:
        totals = asyncio.run(import_file(settings, file, workspace, format, batch_size))
    except ValueError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{totals.accepted} stored, {totals.duplicates} already there, {totals.rejected} rejected"
    )
    if totals.rejected:
        raise typer.Exit(1)


@token_app.command("create")
def token_create(
    workspace: Annotated[str, typer.Option(help="Workspace name (created if new)")],
    scope: Annotated[str, typer.Option(help="read, write or admin")] = "read",
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
) -> None:
    """Create an API token; its secret is printed once and stored only as a hash."""
    from domain.auth import service as auth_service
    from domain.errors import DomainError
    from infrastructure.runtime import Runtime

    async def create() -> str:
        runtime = Runtime.create(get_settings())
        try:
            async with runtime.transaction() as session:
                _, secret = await auth_service.create(
                    session, workspace_name=workspace, scope=scope, name=name
                )
                return secret
        finally:
            await runtime.close()

    try:
        secret = asyncio.run(create())
    except DomainError as error:
        typer.secho(error.message, fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(secret)
    typer.secho(
        f"{scope} token for workspace “{workspace}”. Shown once; store it now.",
        err=True,
        fg="green",
    )


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (e.g. schema.graphql)")
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL) that frontends generate their clients from."""
    from graphql_api.schema import sdl

    if output is None:
        typer.echo(sdl(), nl=False)
    else:
        output.write_text(sdl())
        typer.secho(f"wrote {output}", err=True, fg="green")


@app.command("slack-link")
def slack_link(
    workspace: Annotated[str, typer.Option(help="JourneyOps workspace name")],
    team: Annotated[str, typer.Option(help="Slack team id (T…), as the bot tells you")],
) -> None:
    """Link a Slack workspace to a JourneyOps workspace (when several could be meant)."""
    from domain.errors import DomainError
    from domain.workspace import service as workspace_service
    from infrastructure.runtime import Runtime

    async def link() -> None:
        runtime = Runtime.create(get_settings())
        try:
            async with runtime.transaction() as session:
                await workspace_service.link_chat_team(session, name=workspace, chat_team_id=team)
        finally:
            await runtime.close()

    try:
        asyncio.run(link())
    except DomainError as error:
        typer.secho(error.message, fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Slack team {team} is now workspace “{workspace}”")


@app.command("slack-try")
def slack_try(
    text: Annotated[str, typer.Argument(help='What follows /journey, e.g. "map"')],
    user: Annotated[str, typer.Option(help="Slack user id to act as")] = "U0LOCAL",
    raw: Annotated[bool, typer.Option("--json", help="Print the calls as JSON")] = False,
) -> None:
    """Try the Slack bot without Slack: one /journey command, Slack simulated locally."""
    import json

    from bot.local_slack import readable, try_command

    answer, calls = asyncio.run(try_command(get_settings(), text, user=user))
    if answer:
        typer.echo(answer)
    for call in calls:
        if raw:
            typer.echo(json.dumps({"method": call.method, **call.params}, indent=2))
            continue
        typer.secho(f"— {call.method}", fg="cyan")
        typer.echo(readable(call.params.get("blocks") or call.params.get("view") or call.params))
