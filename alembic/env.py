"""Alembic environment: runs migrations over asyncpg.

`journeyops.migrations` passes the database URL in `config.attributes["url"]`; run as plain
`alembic`, the URL comes from the settings (DATABASE_URL, else the embedded PostgreSQL).
"""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import domain.models
from bot.installations import installation_metadata

config = context.config
# slack_sdk's installation tables are ours to migrate too (bot/installations.py).
target_metadata = [domain.models.Base.metadata, installation_metadata]


def database_url() -> str:
    url = config.attributes.get("url")
    if url:
        return url
    from infrastructure.database import resolve_database_url
    from infrastructure.settings import get_settings

    return resolve_database_url(get_settings())


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
