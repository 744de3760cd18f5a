import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infrastructure.database import create_engine, create_sessionmaker
from journeyops import migrations
from tests.support.database import create_database, drop_database, server_url

PURE_MARK = "pytest.mark.pure"


def _marks_pure(path: Path) -> bool:
    """Whether a test module, or any below a folder, marks something pure."""
    modules = [path] if path.is_file() else path.rglob("test_*.py")
    return any(PURE_MARK in module.read_text() for module in modules)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m pure` imports only the test modules (and the folders' conftest.py) that mark
    something pure (`pytest.mark.pure`, as a decorator or a module's `pytestmark`): importing
    the others would cost seconds, only to deselect every test in them."""
    if config.getoption("markexpr") != "pure":
        return None
    if collection_path.is_file() and not collection_path.name.startswith("test_"):
        return None
    return not _marks_pure(collection_path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast tier (`pytest -m pure`) runs without a database server: a test marked pure
    that asks for the database, however indirectly, is a mistake caught before anything runs."""
    for item in items:
        if item.get_closest_marker("pure") and "database_url" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(f"{item.nodeid} is marked pure but needs the database")


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


@pytest.fixture(scope="session")
async def emptying(engine, table_names) -> list[str]:
    """The statements that empty every table, run in one transaction before each test.

    TRUNCATE costs about a tenth of a second a test however little the tables hold (new files
    for every table, index and partition), most of a short test's time. DELETE with triggers
    off (`session_replication_role = replica`: foreign keys and the rollup triggers, which
    TRUNCATE does not fire either) empties the same tables in milliseconds; it takes a
    superuser, as the test servers' (CI's and the embedded one) are. Otherwise TRUNCATE."""
    async with engine.connect() as connection:
        superuser = await connection.scalar(text("SELECT current_setting('is_superuser')"))
    if superuser != "on":
        return [f"TRUNCATE {', '.join(table_names)} CASCADE"]
    deletes = [f"DELETE FROM {name}" for name in table_names]
    return ["SET LOCAL session_replication_role = replica", *deletes]


@pytest.fixture
async def db(engine, emptying) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on an emptied database."""
    async with engine.begin() as connection:
        for statement in emptying:
            await connection.execute(text(statement))
    return create_sessionmaker(engine)


@pytest.fixture
async def session(db) -> AsyncSession:
    async with db() as session:
        yield session
