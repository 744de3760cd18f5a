"""Which PostgreSQL to talk to, and the SQLAlchemy engine for it.

With no `DATABASE_URL` JourneyOps starts an embedded PostgreSQL (the `pgserver` package) with its
data under the settings' data directory, so that a fresh machine needs nothing installed.

Every entry point (web, worker, CLI, migrations) makes its engine here, so this module loads the
model registry (`domain.models`): a process that uses the ORM sees every table, whichever
use cases it happens to import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

import domain.models  # noqa: F401  (every table registered wherever an engine is made)
from journeyops.settings import Settings

log = logging.getLogger(__name__)

_embedded_servers: dict[Path, object] = {}


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir`; return its libpq URL."""
    import pgserver  # imported lazily: only needed without DATABASE_URL

    data_dir = data_dir.resolve() / "postgres"
    if data_dir not in _embedded_servers:
        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None keeps the server running for other processes sharing the data dir.
        _embedded_servers[data_dir] = pgserver.get_server(data_dir, cleanup_mode=None)
        log.info("embedded PostgreSQL running in %s", data_dir)
    return _embedded_servers[data_dir].get_uri()  # type: ignore[attr-defined]


def async_url(url: str) -> str:
    """Normalise any PostgreSQL URL (postgres://, postgresql://, +psycopg) to asyncpg's dialect."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must point at PostgreSQL, not {parsed.get_backend_name()}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def resolve_database_url(settings: Settings) -> str:
    """The asyncpg URL JourneyOps should use: DATABASE_URL, else the embedded server."""
    return async_url(settings.database_url or start_embedded_postgres(settings.data_dir))


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    return create_async_engine(url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


# What PostgreSQL says when it cannot serve now but may in a moment: its connection classes
# (08), shutting down or starting up (57), out of connections, memory or disk (53), and
# transactions rolled back by a conflict (40).
_TRANSIENT = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.TransactionRollbackError,
    OSError,  # refused, reset, timed out
    sa_exc.TimeoutError,  # no pooled connection came free in time
)


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is unreachable or overloaded for now (a door answers
    503 and asks to retry), rather than a fault in what was asked of it."""
    for cause in _causes(error):
        if isinstance(cause, _TRANSIENT):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, asyncpg.InterfaceError) and "closed" in str(cause):
            return True  # a connection lost between statements
    return False


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it was raised from (SQLAlchemy wraps asyncpg's errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
