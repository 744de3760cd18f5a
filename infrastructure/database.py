"""Which PostgreSQL to talk to, and the SQLAlchemy engine for it.

With no `DATABASE_URL` JourneyOps starts an embedded PostgreSQL (the `pgserver` package) with its
data under the settings' data directory, so that a fresh machine needs nothing installed.

Every entry point (web, worker, CLI, migrations) makes its engine here, so this module loads the
model registry (`domain.models`): a process that uses the ORM sees every table, whichever
use cases it happens to import.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import Pool

import domain.models  # noqa: F401  (every table registered wherever an engine is made)
from infrastructure.settings import Settings

log = logging.getLogger(__name__)

_embedded_servers: dict[Path, object] = {}


def start_embedded_postgres(data_dir: Path, *, keep_running: bool = False) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir`; return its libpq URL.

    Every process using the server is listed in its data directory, and the last one to exit
    stops it, so trying the product leaves no database server behind; `keep_running` leaves
    it running for later processes instead."""
    import pgserver  # imported lazily: only needed without DATABASE_URL

    data_dir = data_dir.resolve() / "postgres"
    if data_dir not in _embedded_servers:
        data_dir.mkdir(parents=True, exist_ok=True)
        _forget_exited_users(data_dir)
        _embedded_servers[data_dir] = pgserver.get_server(
            data_dir, cleanup_mode=None if keep_running else "stop"
        )
        log.info("embedded PostgreSQL running in %s", data_dir)
    return _embedded_servers[data_dir].get_uri()  # type: ignore[attr-defined]


def _forget_exited_users(data_dir: Path) -> None:
    """pgserver lists the processes using a server and stops it when the last one exits; a
    process that was killed never leaves the list, which would keep the server running for
    ever. Those are struck off (under pgserver's own lock) before this process joins."""
    import psutil
    from pgserver.postgres_server import PostgresServer

    users = data_dir / ".handle_pids.json"
    with PostgresServer._lock:
        if not users.exists():
            return
        alive = [pid for pid in json.loads(users.read_text() or "[]") if psutil.pid_exists(pid)]
        users.write_text(json.dumps(alive))


def async_url(url: str) -> str:
    """Normalise any PostgreSQL URL (postgres://, postgresql://, +psycopg) to asyncpg's dialect."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must point at PostgreSQL, not {parsed.get_backend_name()}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def resolve_database_url(settings: Settings) -> str:
    """The asyncpg URL JourneyOps should use: DATABASE_URL, else the embedded server."""
    return async_url(
        settings.database_url
        or start_embedded_postgres(settings.data_dir, keep_running=settings.keep_database)
    )


# A pooled connection that sat unused this long is pinged before it is handed out.
IDLE_BEFORE_PING_SECONDS = 1.0
_IDLE_SINCE = "journeyops_idle_since"  # in a pooled connection's `info`


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)  # type: ignore[arg-type]
    _ping_when_idle(engine.sync_engine.pool)
    return engine


def _ping_when_idle(pool: Pool) -> None:
    """Ping a pooled connection before use only when it sat idle for a while.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip for every request and
    every ingested batch (5 % of a web process's time under load). A connection used a moment
    ago is almost surely alive, and one that is not fails its statement as a lost connection:
    SQLAlchemy then discards every connection of the pool made before the failure, and the
    door answers 503 (`infrastructure.outage`), which clients retry. A connection idle long
    enough for the server to have restarted meanwhile is still pinged, and replaced when dead
    (raising `DisconnectionError` makes the pool connect afresh), so the first request after
    a quiet outage succeeds."""

    @event.listens_for(pool, "checkin")
    def idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return  # new, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError("a pooled connection did not answer its ping") from error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
