"""Monthly partitions of the raw event table, created the first time a month is seen, so that
any timestamp is accepted (a backfill of 2019 data just makes 2019's partitions)."""

from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg

from domain.event.models import PARTITION_SCHEMA

# Months this process knows exist; partitions are never dropped while it runs.
_known: set[tuple[int, int]] = set()


def month_of(timestamp: datetime) -> tuple[int, int]:
    utc = timestamp.astimezone(UTC)
    return utc.year, utc.month


def _bounds(year: int, month: int) -> tuple[str, str]:
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01 00:00+00", f"{next_year:04d}-{next_month:02d}-01 00:00+00"


async def ensure(connection: asyncpg.Connection, timestamps: Iterable[datetime]) -> None:
    """Make sure a partition exists for the month of every timestamp.

    Creating a partition locks the parent table until the transaction ends, so this runs before
    anything else touches the event table in the transaction (no lock-order deadlocks); the
    advisory lock makes concurrent creators of the same month wait for each other.
    """
    months = sorted({month_of(t) for t in timestamps} - _known)
    for year, month in months:
        name = f"event_{year:04d}_{month:02d}"
        exists = await connection.fetchval(
            "SELECT to_regclass($1) IS NOT NULL", f"{PARTITION_SCHEMA}.{name}"
        )
        if not exists:
            start, end = _bounds(year, month)
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", name)
            await connection.execute(
                f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.{name} PARTITION OF event "
                f"FOR VALUES FROM ('{start}') TO ('{end}')"
            )
            continue  # known only once committed: a rollback would drop it again
        _known.add((year, month))
