"""Benchmark: the journey map of the full-size demo, first render (the `journeyMap` use case
plus its Vega-Lite spec, on a fresh connection, nothing cached) and one PNG export, against the
plain `stageMetrics` read of the same period measured in the same run.

    uv run python -m bench.journey_map
"""

import asyncio
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import select

from domain.journey.models import Journey
from domain.journey_map import picture
from domain.journey_map import service as map_service
from domain.metrics.stage_metrics import stage_metrics as read_stage_metrics
from infrastructure.database import create_engine, create_sessionmaker
from journeyops import demo, migrations
from tests.support.database import create_database, drop_database, server_url

RUNS = 5


async def _timed(make) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


async def main() -> None:
    url = await create_database(server_url(), prefix="journeyops_bench_")
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(url)
    try:
        db = create_sessionmaker(engine)
        loading = time.perf_counter()
        async with db.begin() as session:
            workspace, _ = await demo.load(session)
        print(f"demo loaded in {time.perf_counter() - loading:.1f} s")
        async with db.begin() as session:
            journey = await session.scalar(select(Journey).where(Journey.name == "Online purchase"))
            first = await map_service.journey_map(  # folds what the demo ingested
                session, workspace_id=workspace.id, journey_id=journey.id
            )
        now = datetime.now(UTC)
        period = first.period

        async def stage_metrics():
            async with db.begin() as session:
                await read_stage_metrics(
                    session,
                    workspace_id=workspace.id,
                    journey_id=journey.id,
                    start=period.start,
                    end=period.end,
                    as_of=now,
                )

        async def journey_map():
            async with db.begin() as session:
                found = await map_service.journey_map(
                    session, workspace_id=workspace.id, journey_id=journey.id, now=now
                )
            picture.spec(found)

        spec = picture.spec(first)

        async def export():
            await asyncio.to_thread(picture.render, spec, picture.Format.PNG)

        cold_map = await _timed(journey_map)
        cold_export = await _timed(export)
        rows = []
        for name, make in (("stageMetrics", stage_metrics), ("journeyMap", journey_map)):
            times = [await _timed(make) for _ in range(RUNS)]
            rows.append((name, statistics.median(times), max(times)))
        export_times = [await _timed(export) for _ in range(RUNS)]
        rows.append(("PNG export", statistics.median(export_times), max(export_times)))
        print(f"first journeyMap render {cold_map * 1000:.0f} ms")
        print(f"first PNG export {cold_export * 1000:.0f} ms")
        print(f"{'read':<14} {'median ms':>10} {'max ms':>8}   ({RUNS} runs, {period.days} days)")
        for name, median, worst in rows:
            print(f"{name:<14} {median * 1000:>10.0f} {worst * 1000:>8.0f}")
        baseline = rows[0][1]
        print(f"journeyMap / stageMetrics: {rows[1][1] / baseline:.1f}×")
    finally:
        await engine.dispose()
        await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
