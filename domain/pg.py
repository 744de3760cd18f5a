"""The asyncpg connection under a session, for the bulk statements of ingestion and metrics
(COPY, arrays via unnest) that the ORM would make many times slower. Same transaction."""

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime

import asyncpg
import orjson
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


def texts(values: Iterable[str | None]) -> str:
    """Texts as a PostgreSQL array literal, for a `$n::text::varchar[]` parameter.

    asyncpg encodes a list parameter element by element, checking each against abstract base
    classes in Python (about 0.3 µs an element: the dearest part of sending a batch's
    statements); orjson writes the literal in C instead. Quoted JSON strings are quoted array
    elements too, unless JSON escaped something: then each element is quoted here."""
    values = list(values)
    encoded = orjson.dumps(values)
    if b"\\" not in encoded:
        return "{" + encoded[1:-1].decode() + "}"
    return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"


def uuids(values: Iterable[uuid.UUID | None]) -> str:
    """UUIDs (asyncpg's own or the standard library's) as a PostgreSQL array literal, for a
    `$n::text::uuid[]` parameter (see `texts`)."""
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def times(values: Iterable[datetime | None]) -> str:
    """Aware datetimes as a PostgreSQL array literal, for a `$n::text::timestamptz[]` parameter
    (see `texts`); orjson writes them as ISO 8601 with their offset."""
    return "{" + orjson.dumps(list(values))[1:-1].decode() + "}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it was raised from (SQLAlchemy wraps asyncpg's errors), to find the
    database's own error under the wrappers."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
