"""A fresh PostgreSQL database for one test run.

With DATABASE_URL set (CI sets it to the server on 127.0.0.1:5432) a database named
`journeyops_test_<random>` is created on that server; without it, on the embedded PostgreSQL.
Either way the schema comes from the alembic migrations, as in production.
"""

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from infrastructure.database import async_url, start_embedded_postgres

EMBEDDED_TEST_DIR = Path(__file__).resolve().parents[2] / ".journeyops" / "test"


def server_url() -> str:
    """The asyncpg URL of the server tests create their database on."""
    return async_url(os.environ.get("DATABASE_URL") or start_embedded_postgres(EMBEDDED_TEST_DIR))


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server: str, prefix: str = "journeyops_test_") -> str:
    """Create an empty database on `server`; return its asyncpg URL."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = make_url(server).set(database="postgres")
    connection = await asyncpg.connect(_libpq(admin.render_as_string(hide_password=False)))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(_libpq(admin))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()
