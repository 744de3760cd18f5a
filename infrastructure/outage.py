"""Telling a lost database from a bug, so that doors can answer 503 with `Retry-After` while
PostgreSQL is unreachable (refused, dropped, restarting, out of connections) and keep 500 for
what retrying will not fix."""

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.pg import causes

# How long clients are asked to wait before retrying; a restart of PostgreSQL takes seconds.
RETRY_AFTER_SECONDS = 5

# SQLSTATEs of connection failures (class 08), shutdown and start-up (57P01–57P03), running
# out of connections, memory or disk (53) and transactions rolled back by a conflict (40).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53", "40")
# OSErrors about files are bugs here, not a lost database.
_LOCAL_FILES = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` (or what it was raised from) means the database cannot serve right
    now, so that retrying shortly can succeed."""
    for cause in causes(error):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if (getattr(cause, "sqlstate", None) or "").startswith(_UNREACHABLE_STATES):
            return True
        if isinstance(cause, _LOCAL_FILES):
            return False
        # Refused, reset or unroutable connections reach us as OSError (asyncio's "Multiple
        # exceptions" when every address refused has no errno), slow ones as TimeoutError, a
        # pool with no connection to hand out as its own timeout.
        if isinstance(cause, OSError | PoolTimeout | asyncpg.PostgresConnectionError):
            return True
        if isinstance(cause, asyncpg.InterfaceError) and "closed" in str(cause):
            return True  # a connection lost between statements
    return False
