"""Telling a lost database from a bug, so that doors can answer 503 with `Retry-After` while
PostgreSQL is unreachable (refused, dropped, restarting, out of connections) and keep 500 for
what retrying will not fix."""

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# How long clients are asked to wait before retrying; a restart of PostgreSQL takes seconds.
RETRY_AFTER_SECONDS = 5

# SQLSTATEs of connection failures (class 08), shutdown and start-up (57P01–57P03) and
# running out of connections (53300).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# OSErrors about files are bugs here, not a lost database.
_LOCAL_FILES = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached right now."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig or error
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate.startswith(_UNREACHABLE_STATES):
        return True
    if isinstance(error, _LOCAL_FILES):
        return False
    # Refused, reset or unroutable connections reach us as OSError (asyncio's "Multiple
    # exceptions" when every address refused has no errno), slow ones as TimeoutError, a pool
    # with no connection to hand out as its own timeout.
    return isinstance(error, OSError | PoolTimeout | asyncpg.PostgresConnectionError)
