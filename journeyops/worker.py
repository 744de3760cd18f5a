"""The worker: runs periodic jobs, each under a PostgreSQL advisory lock.

When several workers run, only one runs a given job at a time. The lock is held by a database
session, so a worker that crashes mid-job releases it with its connection, and the job's own
transaction rolls back: nothing half-done stays behind.
"""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from infrastructure import telemetry
from infrastructure.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Runtime], Awaitable[object]]

    @property
    def lock_key(self) -> int:
        """A stable 63-bit advisory-lock key derived from the job's name."""
        digest = hashlib.sha256(f"journeyops:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1


async def run_once(runtime: Runtime, job: Job) -> bool:
    """Run `job` unless another worker is running it; True when it ran here."""
    async with runtime.engine.connect() as connection:
        locked = await connection.scalar(select(func.pg_try_advisory_lock(job.lock_key)))
        await connection.commit()
        if not locked:
            telemetry.JOB_RUNS.labels(job.name, "skipped").inc()
            return False
        try:
            await job.run(runtime)
        except BaseException:
            telemetry.JOB_RUNS.labels(job.name, "failed").inc()
            raise
        else:
            telemetry.JOB_RUNS.labels(job.name, "ok").inc()
        finally:
            await connection.execute(select(func.pg_advisory_unlock(job.lock_key)))
            await connection.commit()
    return True


async def run_forever(runtime: Runtime, jobs: list[Job], stop: asyncio.Event) -> None:
    """Run each job every `job.every` until `stop` is set; a failing job is logged and retried."""

    async def loop(job: Job) -> None:
        while not stop.is_set():
            try:
                await run_once(runtime, job)
            except Exception:
                log.exception("job %s failed; retrying in %s", job.name, job.every)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), job.every.total_seconds())

    if not jobs:
        log.info("worker has no jobs yet; idling")
    await asyncio.gather(stop.wait(), *(loop(job) for job in jobs))
