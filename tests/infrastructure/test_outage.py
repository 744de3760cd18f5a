"""Which failures mean the database is unreachable (503, retry) rather than a bug (500)."""

import asyncio
import socket

import pytest
from sqlalchemy import text

from infrastructure.database import create_engine
from infrastructure.outage import database_unreachable


async def test_a_refused_connection_is_an_unreachable_database():
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres")
    with pytest.raises(Exception) as failure:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    await engine.dispose()
    assert database_unreachable(failure.value)


async def test_a_dropped_connection_is_an_unreachable_database(engine):
    async with engine.connect() as victim:
        pid = await victim.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as other:
            await other.execute(text(f"SELECT pg_terminate_backend({pid})"))
        with pytest.raises(Exception) as failure:
            await victim.execute(text("SELECT 1"))
    assert database_unreachable(failure.value)


async def test_sql_errors_and_bugs_are_not(engine):
    async with engine.connect() as connection:
        with pytest.raises(Exception) as failure:
            await connection.execute(text("SELECT 1/0"))
    for error in (
        failure.value,
        FileNotFoundError("zoneinfo"),
        ValueError(),
        asyncio.CancelledError(),
    ):
        assert not database_unreachable(error)
