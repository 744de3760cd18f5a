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
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

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


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    return create_async_engine(url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
