"""Monthly partitions of the raw event table, created the first time a month is seen, so that
any timestamp is accepted (a backfill of 2019 data just makes 2019's partitions)."""

from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg

from domain.event.models import PARTITION_SCHEMA


def _month(timestamp: datetime) -> tuple[int, int]:
    utc = timestamp.astimezone(UTC)
    return utc.year, utc.month


def _name(year: int, month: int) -> str:
    return f"{PARTITION_SCHEMA}.event_{year:04d}_{month:02d}"


def _bounds(year: int, month: int) -> tuple[str, str]:
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01 00:00+00", f"{next_year:04d}-{next_month:02d}-01 00:00+00"


async def ensure(connection: asyncpg.Connection, timestamps: Iterable[datetime]) -> None:
    """Make sure a partition exists for the month of every timestamp.

    Creating a partition locks the parent table until the transaction ends, so callers do this
    before anything else touches the event table in the transaction (no lock-order deadlocks);
    the advisory lock makes concurrent creators of the same month wait for each other. Nothing
    is cached in memory: a rolled-back transaction takes its partitions with it.
    """
    months = {_name(*month): month for month in {_month(t) for t in timestamps}}
    missing = await connection.fetch(
        "SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NULL ORDER BY 1",
        list(months),
    )
    for row in missing:
        name = row["name"]
        start, end = _bounds(*months[name])
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", name)
        await connection.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF event "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
