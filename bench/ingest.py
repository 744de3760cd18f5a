"""Benchmark: ingestion end to end through `POST /v1/batch` (a real uvicorn server on
localhost, batches of 500) against a raw `COPY` of the same rows into the same table.

Metrics take batches in after they are accepted (domain.metrics.fold, in the server's
background), so it also reports how long after the last accepted batch the fold had caught up,
and the rate counting until then. It prints the CPU time per event of the web process (and of
the worker, when it folds), of its PostgreSQL backends and of the sender too (on a shared
machine rates and the baseline move with the load, CPU per event much less), and the budget
they make: the most events a second this machine's cores allow at that cost, against the CPU
per event the ratio target needs.

    uv run python -m bench.ingest                  # 1M events
    uv run python -m bench.ingest --events 100000  # a quick run
    uv run python -m bench.ingest --workers 2 --worker-folds   # as the Procfile runs it:
        # two web processes that only accept, and a `journeyops worker` that folds
    uv run python -m bench.ingest --accept-only   # nothing folds: what accepting alone costs
"""

import argparse
import asyncio
import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import orjson
import psutil
import pydantic_core
from sqlalchemy.engine import make_url

from bench.setup import Clock, drop, fresh_shop
from domain.auth import service as auth_service
from domain.event import synthetic
from domain.event.service import EVENT_COLUMNS
from domain.metrics import fold
from domain.pg import connection_of
from infrastructure.database import create_engine, create_sessionmaker

BATCH = 500
IN_FLIGHT = 6
END = datetime(2026, 11, 1, tzinfo=UTC)
RATIO_TARGET = 0.5  # of raw COPY of the same rows, in the same run
LAG_TARGET_SECONDS = 5  # metrics caught up after the last accepted batch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(url: str, process: subprocess.Popen) -> None:
    """Until `url` answers 200 (a server's /healthz, the worker's counters once it has imported
    what it runs: its start-up is not counted with the events' CPU)."""
    async with aiohttp.ClientSession() as client:
        for _ in range(200):
            if process.poll() is not None:
                raise SystemExit("a process exited; see its output above")
            try:
                async with client.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def send_all(url: str, key: str, bodies: list[bytes]) -> tuple[int, float]:
    """Post the bodies, IN_FLIGHT at a time; the events accepted and the seconds it took.

    The sender shares the machine's cores with the server and its database, where a pipeline's
    own servers would not: aiohttp (a dependency already, under slack_sdk's async client)
    costs it about 2.4 µs of CPU an event against httpx's 4.8, which the server then has."""
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def worker(client: aiohttp.ClientSession) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            async with client.post(url + "/v1/batch", data=body, headers=headers) as response:
                response.raise_for_status()
                answer = orjson.loads(await response.read())
            accepted += answer["accepted"]  # not across an await: the workers add in turn

    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        clock = Clock()
        await asyncio.gather(*(worker(client) for _ in range(IN_FLIGHT)))
        return accepted, clock.seconds


async def folded(db, workspace_id: uuid.UUID) -> None:
    """Until no batch of the workspace waits to be folded."""
    while True:
        async with db() as session:
            connection = await connection_of(session)
            if not await fold.has_pending(connection, workspace_id):
                return
        await asyncio.sleep(0.05)


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU time of a process and its children (`serve --workers N`)."""
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = each.cpu_times()
            total += times.user + times.system
    return total


class BackendsCpu:
    """CPU time PostgreSQL spends on the benchmark's database while the run lasts: every
    process serving it (the servers' connections and their parallel workers), sampled four
    times a second, so that a connection closed before the end (a pool's overflow) and a
    parallel worker count too."""

    def __init__(self, db) -> None:
        self.db = db
        self.start: dict[int, float] = {}
        self.latest: dict[int, float] = {}

    async def sample(self) -> None:
        async with self.db() as session:
            connection = await connection_of(session)
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        for row in rows:
            with contextlib.suppress(psutil.Error):
                self.latest[row["pid"]] = cpu_seconds(psutil.Process(row["pid"]))

    @contextlib.asynccontextmanager
    async def measuring(self) -> AsyncIterator[None]:
        await self.sample()
        self.start = dict(self.latest)
        sampling = asyncio.create_task(self._sample_every_quarter_second())
        try:
            yield
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
            await self.sample()

    async def _sample_every_quarter_second(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            await self.sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.latest.items())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1, help="web server processes")
    parser.add_argument(
        "--worker-folds",
        action="store_true",
        help="web processes only accept (JOURNEYOPS_WEB_FOLD=false); a worker process folds",
    )
    parser.add_argument(
        "--accept-only",
        action="store_true",
        help="web processes only accept and nothing folds: the cost of accepting alone",
    )
    args = parser.parse_args()
    shop = await fresh_shop()
    engine = create_engine(shop.url)
    db = create_sessionmaker(engine)
    async with db.begin() as session:
        _, key = await auth_service.create(session, workspace_name="bench", scope="write")

    plan = synthetic.Plan(
        shop.stage_events, customers=args.events, start=END - timedelta(days=60), days=60, seed=11
    )
    events = []
    for event in synthetic.events(plan):
        events.append(event)
        if len(events) == args.events:
            break
    bodies = [
        pydantic_core.to_json({"batch": events[i : i + BATCH]})
        for i in range(0, len(events), BATCH)
    ]
    print(f"{len(events):,} events in {len(bodies):,} batches of {BATCH}, {IN_FLIGHT} in flight")

    port = free_port()
    libpq = make_url(shop.url).set(drivername="postgresql").render_as_string(hide_password=False)
    command = os.path.join(os.path.dirname(sys.executable), "journeyops")
    env = {**os.environ, "DATABASE_URL": libpq}
    if args.worker_folds or args.accept_only:
        env["JOURNEYOPS_WEB_FOLD"] = "false"
    processes = [
        subprocess.Popen(
            [command, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
    ]
    ready = [f"http://127.0.0.1:{port}/healthz"]
    if args.worker_folds and not args.accept_only:
        worker_port = free_port()
        processes.append(
            subprocess.Popen(
                [command, "worker", "--metrics-port", str(worker_port)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        ready.append(f"http://127.0.0.1:{worker_port}/")
    folder = "the web processes, in the background"
    if args.accept_only:
        folder = "nobody (accepting alone)"
    elif args.worker_folds:
        folder = "a worker process"
    print(f"{args.workers} web process(es); folded by {folder}")
    try:
        url = f"http://127.0.0.1:{port}"
        for address, process in zip(ready, processes, strict=True):
            await wait_for(address, process)
        journeyops = [psutil.Process(process.pid) for process in processes]  # the worker too
        app_cpu = sum(map(cpu_seconds, journeyops))
        backends = BackendsCpu(db)
        async with backends.measuring():
            sender_cpu = time.process_time()
            accepted, seconds = await send_all(url, key, bodies)
            sender_cpu = time.process_time() - sender_cpu
            clock = Clock()
            if not args.accept_only:
                await folded(db, shop.workspace_id)
            lag = clock.seconds
        app_cpu = sum(map(cpu_seconds, journeyops)) - app_cpu
        database_cpu = backends.seconds
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    ours = len(events) / seconds

    # The baseline: the same rows, already parsed and with customer ids, COPYed in one go.
    rows = [
        (
            shop.workspace_id,
            datetime.fromisoformat(e["timestamp"]),
            e["messageId"],
            uuid.uuid4(),
            e["type"],
            e.get("event"),
            pydantic_core.to_json(e.get("properties") or e.get("traits") or {}).decode(),
            END,
        )
        for e in events
    ]
    async with db.begin() as session:
        connection = await connection_of(session)
        clock = Clock()
        await connection.copy_records_to_table("event", columns=EVENT_COLUMNS, records=rows)
        copy_seconds = clock.seconds
    await engine.dispose()
    await drop(shop)
    if accepted != len(events):
        raise SystemExit(f"{accepted:,} of {len(events):,} events accepted; see the server's log")
    copy = len(rows) / copy_seconds
    whole = len(events) / (seconds + lag)
    print(f"\n/v1/batch : {ours:10,.0f} events/s  ({seconds:.1f} s, {accepted:,} accepted)")
    if args.accept_only:
        print("folded    :    nothing (--accept-only: the batches stay pending)")
    else:
        print(f"folded    : {lag:10.1f} s after the last accepted batch")
        print(f"with fold : {whole:10,.0f} events/s  (until metrics had taken in every event)")
    print(f"raw COPY  : {copy:10,.0f} events/s  ({copy_seconds:.1f} s, same rows, same table)")
    print(f"ratio     : {ours / copy:10.1%} of COPY")
    per_event = [cpu / len(events) * 1e6 for cpu in (app_cpu, database_cpu, sender_cpu)]
    where = "the web and worker processes" if len(processes) > 1 else "the web process(es)"
    print(
        f"CPU/event : {per_event[0]:10.1f} µs in {where}, "
        f"{per_event[1]:.1f} µs in their PostgreSQL backends (accepting and folding; the "
        f"same on a busy machine), {per_event[2]:.1f} µs in this sender"
    )
    print(_budget(sum(per_event), copy))
    folding = f", folded within {LAG_TARGET_SECONDS} s ({_verdict(lag <= LAG_TARGET_SECONDS)})"
    print(
        f"targets   : >= {RATIO_TARGET:.0%} of COPY ({_verdict(ours / copy >= RATIO_TARGET)})"
        + ("" if args.accept_only else folding)
    )


def _budget(cpu_per_event: float, copy: float) -> str:
    """What the CPU time per event allows on this machine's cores, the sender's included (it
    shares them), against what the ratio target asks of them."""
    cores = os.cpu_count() or 1
    most = cores / cpu_per_event * 1e6
    wanted = cores / (RATIO_TARGET * copy) * 1e6
    return (
        f"budget    : {cpu_per_event:10.1f} µs of CPU an event in all: at most {most:,.0f} "
        f"events/s on {cores} cores ({most / copy:.0%} of COPY); {RATIO_TARGET:.0%} needs "
        f"<= {wanted:.1f} µs"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


if __name__ == "__main__":
    asyncio.run(main())
