import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from journeyops import migrations
from journeyops.database import create_engine, create_sessionmaker
from tests.database import create_database, drop_database, server_url


@pytest.fixture(scope="session")
async def database_url():
    """A migrated database of its own for this test run, dropped at the end."""
    url = await create_database(server_url())
    await asyncio.to_thread(migrations.upgrade, url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="session")
async def engine(database_url) -> AsyncEngine:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def table_names(engine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        )
        return [row[0] for row in rows]


@pytest.fixture
async def db(engine, table_names) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on an emptied database."""
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(table_names)} CASCADE"))
    return create_sessionmaker(engine)


@pytest.fixture
async def session(db) -> AsyncSession:
    async with db() as session:
        yield session
