import asyncio
from datetime import timedelta

from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.worker import Job, run_forever, run_once


async def test_two_workers_never_run_the_same_job_at_once(database_url):
    runtime_a, runtime_b = (Runtime.create(Settings(), database_url) for _ in range(2))
    inside, release = asyncio.Event(), asyncio.Event()
    runs = 0

    async def held_job(_runtime):
        """Runs until the test releases it, so the other worker tries while it runs."""
        nonlocal runs
        runs += 1
        inside.set()
        await release.wait()

    job = Job("test-slow-job", timedelta(seconds=1), held_job)
    try:
        first = asyncio.create_task(run_once(runtime_a, job))
        await asyncio.wait_for(inside.wait(), timeout=10)
        assert not await run_once(runtime_b, job)  # skipped while worker A runs the job
        release.set()
        assert await first
        assert runs == 1
        assert await run_once(runtime_b, job)  # the lock was released after the run
    finally:
        await runtime_a.close()
        await runtime_b.close()


async def test_a_failing_job_releases_its_lock_and_the_worker_keeps_going(database_url):
    runtime = Runtime.create(Settings(), database_url)
    attempts = 0

    async def flaky(_runtime):
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("boom")

    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_forever(runtime, [Job("test-flaky", timedelta(milliseconds=50), flaky)], stop)
    )
    try:
        for _ in range(100):
            if attempts >= 3:
                break
            await asyncio.sleep(0.02)
        assert attempts >= 3
    finally:
        stop.set()
        await worker
        await runtime.close()
