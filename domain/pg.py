"""The asyncpg connection under a session, for the bulk statements of ingestion and metrics
(COPY, arrays via unnest) that the ORM would make many times slower. Same transaction."""

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def connection_of(session: AsyncSession) -> asyncpg.Connection:
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    if not raw.is_in_transaction():
        # SQLAlchemy opens the database transaction at its first statement; make it open now
        # so that what follows is part of it.
        await connection.execute(text("SELECT 1"))
    return raw
