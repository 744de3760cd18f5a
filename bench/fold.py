"""Benchmark: folding stored batches into metrics (domain.metrics.fold) alone, on one connection:
PostgreSQL's CPU and the wall time per event, against the same fold with the rollup triggers
disabled in the same run (what keeping the daily rollups costs of it).

The events are stored once, without folding, and each fold runs on a copy of that database, so
both folds start from the same rows. Choose the shape of the fold: customers with personas (a
third of them identified as another later), batches per fold (the web process folds up to 100
at a time; a reader or a quiet process, one), and rollup tables analyzed while still empty (as
after a `VACUUM ANALYZE` of a new installation: PostgreSQL then estimates them empty).

    uv run python -m bench.fold                                   # 200k events, 100 a fold
    uv run python -m bench.fold --personas
    uv run python -m bench.fold --batches-per-fold 1 --analyzed-empty --events 100000
"""

import argparse
import asyncio
import time
from datetime import timedelta

import asyncpg
import psutil
from sqlalchemy.engine import make_url

from bench.metrics import END
from bench.personas import PERSONAS, with_persona_changes
from bench.setup import Shop, drop, fresh_shop
from domain.event import service as event_service
from domain.event import synthetic
from domain.metrics import fold
from domain.persona import service as persona_service
from domain.pg import connection_of
from infrastructure.database import create_engine, create_sessionmaker

BATCH = 500
TRIGGERS_OFF = [
    "ALTER TABLE stage_progress DISABLE TRIGGER USER",
    "ALTER TABLE touchpoint_reach DISABLE TRIGGER USER",
]


def libpq(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


def name_of(shop: Shop) -> str:
    name = make_url(shop.url).database
    assert name is not None
    return name


async def store(shop: Shop, events: int, personas: bool) -> None:
    """The synthetic events stored as the door stores them, none folded."""
    db = create_sessionmaker(engine := create_engine(shop.url))
    if personas:
        async with db.begin() as session:
            for name in PERSONAS:
                await persona_service.create(session, workspace_id=shop.workspace_id, name=name)
    plan = synthetic.Plan(
        shop.stage_events,
        customers=events,  # more than enough: the run stops at `events`
        start=END - timedelta(days=60),
        days=60,
        seed=11,
        personas=PERSONAS if personas else (),
    )
    generated = synthetic.events(plan)
    stream = with_persona_changes(generated) if personas else generated
    batch: list[dict] = []
    for sent, event in enumerate(stream, start=1):
        batch.append(event)
        if len(batch) == BATCH or sent == events:
            async with db.begin() as session:
                await event_service.ingest(
                    session, workspace_id=shop.workspace_id, events=batch, received_at=END
                )
            batch = []
        if sent == events:
            break
    await engine.dispose()


async def fold_a_copy(
    shop: Shop, admin: asyncpg.Connection, setup: list[str], batches: int
) -> tuple[float, float]:
    """Fold every pending batch of a copy of the database as the web process does (a
    transaction per `batches`), on one connection, `setup` run first; PostgreSQL's CPU seconds
    and the wall seconds it took."""
    original = name_of(shop)
    copy = f"{original}_fold"
    await admin.execute(f"DROP DATABASE IF EXISTS {copy}")
    await admin.execute(f"CREATE DATABASE {copy} TEMPLATE {original}")
    url = make_url(shop.url).set(database=copy).render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    db = create_sessionmaker(engine)
    try:
        async with db.begin() as session:
            connection = await connection_of(session)
            for statement in setup:
                await connection.execute(statement)
            backend = psutil.Process(await connection.fetchval("SELECT pg_backend_pid()"))
        cpu, wall = sum(backend.cpu_times()[:2]), time.perf_counter()
        folded: int | None = batches
        while folded:  # nobody else folds here: never None
            async with db.begin() as session:
                folded = await fold.fold_some(
                    session, workspace_id=shop.workspace_id, batches=batches
                )
        return sum(backend.cpu_times()[:2]) - cpu, time.perf_counter() - wall
    finally:
        await engine.dispose()
        await admin.execute(f"DROP DATABASE {copy}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--personas", action="store_true", help="customers with personas")
    parser.add_argument("--batches-per-fold", type=int, default=fold.BATCHES_PER_FOLD)
    parser.add_argument(
        "--analyzed-empty",
        action="store_true",
        help="VACUUM ANALYZE the database before anything is folded",
    )
    parser.add_argument("--runs", type=int, default=2, help="folds of each kind, alternated")
    args = parser.parse_args()
    shop = await fresh_shop()
    try:
        await store(shop, args.events, args.personas)
        admin = await asyncpg.connect(libpq(shop.url, "postgres"))
        if args.analyzed_empty:
            original = await asyncpg.connect(libpq(shop.url, name_of(shop)))
            await original.execute("VACUUM ANALYZE")
            await original.close()
        kinds = {"the fold": [], "rollup triggers off": TRIGGERS_OFF}
        measured: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for _ in range(args.runs):
            for kind, setup in kinds.items():
                measured[kind].append(await fold_a_copy(shop, admin, setup, args.batches_per_fold))
        await admin.close()
    finally:
        await drop(shop)
    shape = "with personas" if args.personas else "without personas"
    print(
        f"{args.events:,} events {shape}, {args.batches_per_fold} batches of {BATCH} a fold"
        + (", rollup tables analyzed while empty" if args.analyzed_empty else "")
    )
    for kind, runs in measured.items():
        cpu = ", ".join(f"{c / args.events * 1e6:.1f}" for c, _ in runs)
        wall = ", ".join(f"{w / args.events * 1e6:.1f}" for _, w in runs)
        print(f"{kind:20s}: PostgreSQL {cpu} µs an event; wall {wall} µs an event")
    rollups = min(c for c, _ in measured["the fold"]) - min(
        c for c, _ in measured["rollup triggers off"]
    )
    print(f"the rollups' share : {rollups / args.events * 1e6:.1f} µs an event (best of each)")


if __name__ == "__main__":
    asyncio.run(main())
