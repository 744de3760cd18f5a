"""Pooled connections: pinged before use only after sitting idle, and replaced when dead."""

import pytest
from sqlalchemy import text

from infrastructure import database
from infrastructure.database import create_engine
from infrastructure.outage import database_unreachable


async def _backend_of(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT pg_backend_pid()"))


async def _terminate(database_url: str, pid: int) -> None:
    killer = create_engine(database_url)
    async with killer.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await killer.dispose()


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    database_url, monkeypatch
):
    monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 0.0)  # every pooled one is idle
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        dropped = await _backend_of(engine)
        await _terminate(database_url, dropped)
        assert await _backend_of(engine) != dropped  # pinged, found dead, connected afresh
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged_and_its_loss_is_an_outage(
    database_url, monkeypatch
):
    monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 3600.0)
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        dropped = await _backend_of(engine)
        await _terminate(database_url, dropped)
        with pytest.raises(Exception) as failure:  # no round trip spent checking it first
            await _backend_of(engine)
        assert database_unreachable(failure.value)  # answered 503; clients send it again
        assert await _backend_of(engine) != dropped  # and the next one gets a new connection
    finally:
        await engine.dispose()
