"""Arrays sent as PostgreSQL array literals (domain.pg) arrive as the very values they were
made from, whatever the texts hold."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from asyncpg.pgproto.pgproto import UUID as FastUUID

from domain import pg
from domain.pg import connection_of

AWKWARD = ["plain", "", "NULL", 'say "hi"', "back\\slash", "a,b", "{x}", " pad ", "é 🚀", "\n\t"]


async def test_texts_arrive_as_they_were_including_what_json_escapes(session):
    connection = await connection_of(session)
    unescaped = ["a,b", "{x}", " pad ", "NULL", "", "é 🚀", None]  # JSON escapes none of these
    for values in (AWKWARD, unescaped, []):
        assert await connection.fetchval("SELECT $1::text::varchar[]", pg.texts(values)) == values


async def test_uuids_of_either_kind_and_none_arrive_as_they_were(session):
    connection = await connection_of(session)
    values = [uuid.uuid4(), FastUUID(uuid.uuid4().bytes), None]
    assert await connection.fetchval("SELECT $1::text::uuid[]", pg.uuids(values)) == values


async def test_times_keep_their_instant_whatever_their_offset(session):
    connection = await connection_of(session)
    paris = timezone(timedelta(hours=1))
    values = [
        datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC),
        datetime(1999, 1, 1, tzinfo=paris),
        None,
    ]
    assert await connection.fetchval("SELECT $1::text::timestamptz[]", pg.times(values)) == values
