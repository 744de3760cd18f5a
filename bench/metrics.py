"""Benchmark: stage metrics for 30 days over ~1M customers / ~5M events, read from the daily
rollups kept at ingest (plus a lookup of the ranks the percentiles need), against the naive
query over raw events (same numbers required).

    uv run python -m bench.metrics                  # 5M events (~15 minutes to load)
    uv run python -m bench.metrics --events 200000  # a quick run
    uv run python -m bench.metrics --database URL   # reuse a database a previous run kept
"""

import argparse
import asyncio
import math
import statistics
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.setup import Clock, Shop, fresh_shop
from domain.event import service as event_service
from domain.event import synthetic
from domain.event.message import BATCH_EVENTS_MAX
from domain.metrics import daily_rollups
from domain.metrics.periods import period
from domain.metrics.stage_metrics import stage_metrics
from domain.pg import connection_of
from infrastructure.database import create_engine, create_sessionmaker
from infrastructure.folding import fold_pending

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS_OF_DATA = 90
EVENTS_PER_CUSTOMER = 5.3  # what the synthetic funnel averages
BATCH = BATCH_EVENTS_MAX

NAIVE = """
WITH mapped AS (
    SELECT e.customer_id, s.position, e.timestamp, e.message_id
    FROM event e
    JOIN touchpoint t ON t.workspace_id = e.workspace_id AND e.name = ANY(t.event_names)
    JOIN stage s ON s.workspace_id = t.workspace_id AND s.id = t.stage_id
    WHERE e.workspace_id = $1 AND t.journey_id = $2 AND e.timestamp <= $5
), entry AS (
    SELECT DISTINCT ON (customer_id, position) customer_id, position, timestamp AS entered_at
    FROM mapped ORDER BY customer_id, position, timestamp, message_id COLLATE "C"
), in_period AS (
    SELECT * FROM entry WHERE entered_at >= $3 AND entered_at < $4
), converted AS (
    SELECT i.customer_id, i.position, min(m.timestamp) AS converted_at
    FROM in_period i JOIN mapped m ON m.customer_id = i.customer_id AND m.position > i.position
     AND m.timestamp >= i.entered_at AND m.timestamp <= i.entered_at + make_interval(secs => $6)
    GROUP BY i.customer_id, i.position
)
SELECT i.position, count(*) AS entered, count(c.converted_at) AS converted,
       count(*) FILTER (WHERE c.converted_at IS NULL
                        AND i.entered_at + make_interval(secs => $6) <= $5) AS dropped,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM c.converted_at)
           - extract(epoch FROM i.entered_at))::float8) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY (extract(epoch FROM c.converted_at)
           - extract(epoch FROM i.entered_at))::float8) AS p90
FROM in_period i LEFT JOIN converted c USING (customer_id, position)
GROUP BY i.position ORDER BY i.position
"""


async def load(shop: Shop, events: int) -> None:
    engine = create_engine(shop.url)
    db = create_sessionmaker(engine)
    async with engine.connect() as connection:
        if await connection.scalar(text("SELECT count(*) FROM event")):
            print("database already holds events; not loading")
            await engine.dispose()
            return
    plan = synthetic.Plan(
        shop.stage_events,
        customers=int(events / EVENTS_PER_CUSTOMER),
        start=END - timedelta(days=DAYS_OF_DATA),
        days=DAYS_OF_DATA,
    )
    clock, sent, batch = Clock(), 0, []
    for event in synthetic.events(plan):
        batch.append(event)
        if len(batch) == BATCH:
            async with db.begin() as session:
                await event_service.ingest(
                    session, workspace_id=shop.workspace_id, events=batch, received_at=END
                )
            sent += len(batch)
            batch = []
            if sent % 100_000 == 0:  # as the web process would, in the background
                await fold_pending(db)
            if sent % 500_000 == 0:
                print(f"  loaded {sent:,} events ({sent / clock.seconds:,.0f}/s)", flush=True)
    if batch:
        async with db.begin() as session:
            await event_service.ingest(
                session, workspace_id=shop.workspace_id, events=batch, received_at=END
            )
        sent += len(batch)
    await fold_pending(db)
    print(
        f"loaded and folded {sent:,} events for {plan.customers:,} customers "
        f"in {clock.seconds:,.0f} s"
    )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def measure(shop: Shop, runs: int) -> None:
    engine = create_engine(shop.url)
    db = create_sessionmaker(engine)
    start, end = (END - timedelta(days=30)).date(), END.date()
    ours, figures = [], None
    for _ in range(runs):
        async with db() as session:
            clock = Clock()
            figures = await stage_metrics(
                session,
                workspace_id=shop.workspace_id,
                journey_id=shop.journey_id,
                start=start,
                end=end,
                as_of=END,
            )
            ours.append(clock.seconds)
    assert figures is not None
    async with db() as session:
        low, high = period(start, end, "Europe/Paris")
        connection = await connection_of(session)
        naive, rows = [], []
        for _ in range(3):
            clock = Clock()
            rows = await connection.fetch(
                NAIVE, shop.workspace_id, shop.journey_id, low, high, END, 30 * 86400.0
            )
            naive.append(clock.seconds)
        read = await daily_rollups.cells(
            connection,
            workspace_id=shop.workspace_id,
            journey_id=shop.journey_id,
            timezone="Europe/Paris",
            window=timedelta(days=30),
            start=start,
            end=end,
            as_of=END,
        )
        progress_rows = await connection.fetchval(
            "SELECT count(*) FROM stage_progress WHERE workspace_id = $1 AND journey_id = $2 "
            "AND entered_at >= $3 AND entered_at < $4",
            shop.workspace_id,
            shop.journey_id,
            low,
            high,
        )
    await engine.dispose()

    print(f"\nstage metrics, 30 days ({start} – {end}, Europe/Paris), as of {END:%Y-%m-%d}")
    print(
        f"{'stage':<14}{'entered':>9}{'converted':>10}{'dropped':>9}{'pending':>9}"
        f"{'median s':>11}{'p90 s':>11}"
    )
    for s in figures.stages:
        print(
            f"{s.stage:<14}{s.entered:>9}{s.converted or 0:>10}{s.dropped or 0:>9}"
            f"{s.pending or 0:>9}{s.median_time_to_convert or 0:>11.0f}"
            f"{s.p90_time_to_convert or 0:>11.0f}"
        )
    same = True
    for s, row in zip(figures.stages, rows, strict=False):
        last = s is figures.stages[-1]
        mine = (s.entered, s.converted, s.dropped)
        theirs = (
            row["entered"],
            None if last else row["converted"],
            None if last else row["dropped"],
        )
        close = last or all(
            (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))
            for a, b in (
                (s.median_time_to_convert, row["median"]),
                (s.p90_time_to_convert, row["p90"]),
            )
        )
        same = same and mine == theirs and close
    ranks = sum(len(daily_rollups.ranks(s.converted)) for s in figures.stages if s.converted)
    print(
        f"\nread: {len(read.cells)} rollup rows (stage, day, entry touchpoint), "
        f"{read.taken_back} progress rows counted after the evaluation time taken back, "
        f"{ranks} ranks "
        f"looked up; the period holds {progress_rows:,} progress rows"
    )
    ours_p50 = statistics.median(ours)
    naive_p50 = statistics.median(naive)
    print(
        f"\nours  : p50 {ours_p50 * 1000:8.1f} ms  p95 {percentile(ours, 0.95) * 1000:8.1f} ms"
        f"  ({runs} runs, rollups + rank lookups + reach)"
    )
    print(f"naive : p50 {naive_p50 * 1000:8.1f} ms  (3 runs, SQL over raw events)")
    print(f"speed-up {naive_p50 / ours_p50:,.1f}x   same numbers: {'yes' if same else 'NO'}")
    print("targets: p50 <= 50 ms, >= 20x faster, same numbers")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database", help="reuse this database (asyncpg URL) instead of a new one")
    args = parser.parse_args()
    shop = await fresh_shop(args.database)
    print(f"database: {shop.url}")
    await load(shop, args.events)
    await measure(shop, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
