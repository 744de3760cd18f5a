"""Benchmark: a soak of the product as the Procfile runs it, to show it holds a steady load
without slowing down or growing.

`journeyops migrate`, one `journeyops serve` and one `journeyops worker` run as OS processes on
a fresh database (`tests/support/deployment.py`, the e2e tests' deployment, with the demo's
online purchase journey, its personas and an alert rule), with `bot/local_slack.py` as Slack.
At steady rates, each request sent on its own clock whatever the answers before it took (so a
slow answer cannot hide the ones queued behind it):

- events to `/v1/batch` (the demo journey's shoppers over the last 30 days, with personas),
- the journey map through GraphQL (`journeyMap`, what the map page asks for),
- signed `/journey` slash commands (`metrics`, `stage`, `map`, `help`),
- and, as the same-run baseline, a trivial GraphQL query (`{ __typename }`): what any request
  costs on that server under that load,

while the worker delivers, evaluates alerts (every 30 s) and looks for digests. After a warm-up
(not counted) it prints p50/p99 per door for the first minute, the last minute and overall; the
resident memory of the web process, of the drawing processes it spawned and of the worker,
minute by minute (the warm-up's too, so that what it grows while caches fill is seen; the goal,
growth under 10 %, is the web process's last minute against its first counted one); how many
batches still waited to be folded; and whether every slash command was answered through its
response_url.

    uv run python -m bench.soak                # 10 minutes
    uv run python -m bench.soak --minutes 2    # a quick run
"""

import argparse
import asyncio
import contextlib
import math
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from bot import local_slack
from bot.local_slack import LocalSlack
from domain.event import synthetic
from journeyops import demo_data
from tests.support.database import create_database, drop_database, server_url
from tests.support.deployment import SIGNING_SECRET, SINGLE_WORKSPACE, SLACK_TEAM, Deployment

MEMORY_GROWTH_TARGET = 0.10
SAMPLE_MEMORY_EVERY = 5.0
IN_FLIGHT_MAX = 64  # per door: beyond this the server is not keeping up, and it says so

MAP_QUERY = """
query($journeyId: ID!) {
  journeyMap(journeyId: $journeyId) {
    map {
      from to asOf
      stages {
        stage { name }
        figures { entered converted dropped pending conversionRate medianTimeToConvert }
        previous { entered conversionRate }
        change { entered conversionRate }
        touchpoints { reach touchpoint { name } }
        emotions { recorded sentiment }
        observations { kind total }
        alerts { status pValue }
        actions { observationCount }
      }
      picture
    }
    errors { message }
  }
}
"""
TRIVIAL_QUERY = "{ __typename }"
COMMANDS = (
    "metrics Online purchase",
    "stage Online purchase > Consideration",
    "map Online purchase",
    "help",
)


@dataclass
class Door:
    """One kind of request: when each was sent (seconds into the soak), how long its answer
    took, and which failed."""

    name: str
    samples: list[tuple[float, float]] = field(default_factory=list)
    failures: list[tuple[float, str]] = field(default_factory=list)
    skipped: int = 0  # not sent: IN_FLIGHT_MAX answers were still awaited

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for at, seconds in self.samples if start <= at < end]

    def failed_between(self, start: float, end: float) -> int:
        return sum(1 for at, _ in self.failures if start <= at < end)


def percentile(samples: list[float], share: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[round(share * 100) - 1]


async def steady(
    door: Door, per_second: float, until: float, origin: float, send: Callable[[], Awaitable]
) -> None:
    """Send at `per_second` until `until` (loop time), each request in a task of its own.
    Samples are timed from `origin`: negative times are the warm-up."""
    if per_second <= 0:  # this door left out (to tell which one a change comes from)
        return
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task] = set()
    interval, due = 1 / per_second, loop.time()

    async def one(sent: float) -> None:
        try:
            await send()
        except Exception as error:
            door.failures.append((sent - origin, f"{type(error).__name__}: {error}"[:200]))
        else:
            door.samples.append((sent - origin, loop.time() - sent))

    while due < until:
        await asyncio.sleep(max(0.0, due - loop.time()))
        if len(running) >= IN_FLIGHT_MAX:
            door.skipped += 1
        else:
            task = asyncio.create_task(one(loop.time()))
            running.add(task)
            task.add_done_callback(running.discard)
        due += interval
    if running:
        await asyncio.wait(running)


def event_batches(size: int) -> Iterator[bytes]:
    """Bodies for /v1/batch: the demo journey's shoppers over the last 30 days, endlessly."""
    stage_events = [
        [name for *_, names in touchpoints for name in names]
        for *_, touchpoints in demo_data.ONLINE_PURCHASE
    ]
    end = datetime.now(UTC) - timedelta(hours=1)
    personas = [p["name"] for p in demo_data.PERSONAS]
    plan = synthetic.Plan(stage_events, 10**9, end - timedelta(days=30), 30, 23, personas)
    batch: list[dict[str, Any]] = []
    for event in synthetic.events(plan):
        if datetime.fromisoformat(event["timestamp"]) <= end:
            batch.append(event)
        if len(batch) == size:
            yield orjson.dumps({"batch": batch})
            batch = []


def checked(answer: httpx.Response) -> dict[str, Any]:
    """The answer's JSON; an error (counted as a failure) for anything but a clean 200."""
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.status_code} {answer.text[:120]}")
    body = answer.json() if answer.content else {}
    if isinstance(body, dict) and body.get("errors"):
        raise RuntimeError(str(body["errors"])[:200])
    return body


class Memory:
    """The resident memory of the deployment's processes, sampled while the soak runs: the web
    process, the drawing processes it spawned (its children) and the worker."""

    def __init__(self, deployment: Deployment) -> None:
        web, worker = deployment.webs[0].popen, deployment.workers[0].popen
        assert web is not None and worker is not None
        self.processes = {"web": psutil.Process(web.pid)}
        drawing = [
            child
            for child in self.processes["web"].children()
            if "spawn_main" in " ".join(child.cmdline())  # not multiprocessing's resource tracker
        ]
        for n, child in enumerate(sorted(drawing, key=lambda child: child.pid), 1):
            self.processes[f"drawing {n}"] = child
        self.processes["worker"] = psutil.Process(worker.pid)
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in self.processes}

    def sample(self, at: float) -> None:
        for name, process in self.processes.items():
            with contextlib.suppress(psutil.NoSuchProcess):  # a drawing process replaced
                self.samples[name].append((at, process.memory_info().rss))

    async def watch(self, until: float, origin: float) -> None:
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            self.sample(loop.time() - origin)
            await asyncio.sleep(SAMPLE_MEMORY_EVERY)

    def median_between(self, name: str, start: float, end: float) -> float:
        found = [rss for at, rss in self.samples[name] if start <= at < end]
        return statistics.median(found) if found else float("nan")

    def latest(self, name: str) -> float:
        return self.samples[name][-1][1] if self.samples[name] else float("nan")


async def soak(deployment: Deployment, args: argparse.Namespace) -> None:
    web = deployment.webs[0]
    assert web.popen is not None
    memory = Memory(deployment)
    doors = {name: Door(name) for name in ("ingest", "graphql map", "slack", "baseline")}
    batches = event_batches(args.batch)
    ingest_headers = {
        "Authorization": f"Bearer {deployment.write_token}",
        "Content-Type": "application/json",
    }
    graphql_headers = {"Authorization": f"Bearer {deployment.write_token}"}
    commands = iter(range(10**9))

    async with httpx.AsyncClient(base_url=web.url, timeout=30) as http:

        async def send_batch() -> None:
            answer = checked(
                await http.post("/v1/batch", content=next(batches), headers=ingest_headers)
            )
            if answer["rejected"] or answer["duplicates"]:
                raise RuntimeError(f"not all stored: {answer['events'][:2]}")

        async def query_map() -> None:
            variables = {"journeyId": deployment.journey_id}
            body = {"query": MAP_QUERY, "variables": variables}
            found = checked(await http.post("/graphql", json=body, headers=graphql_headers))
            if found["data"]["journeyMap"]["errors"]:
                raise RuntimeError(str(found["data"]["journeyMap"]["errors"]))

        async def trivial_query() -> None:
            body = {"query": TRIVIAL_QUERY}
            checked(await http.post("/graphql", json=body, headers=graphql_headers))

        async def command() -> None:
            n = next(commands)
            text = COMMANDS[n % len(COMMANDS)]
            form = local_slack.command_body(
                text,
                response_url=deployment.slack.response_url(),
                team=SLACK_TEAM,
                trigger_id=f"soak.{n}",
            )
            headers = local_slack.signed_headers(
                form, "application/x-www-form-urlencoded", secret=SIGNING_SECRET
            )
            checked(await http.post("/slack/events", content=form, headers=headers))

        loop = asyncio.get_running_loop()
        origin = loop.time() + args.warm_up
        until = origin + args.minutes * 60
        batches_per_second = args.events_per_second / args.batch
        print(
            f"soaking for {args.minutes:g} min after a {args.warm_up:g} s warm-up: "
            f"{args.events_per_second:g} events/s in batches of {args.batch}, "
            f"{args.maps_per_second:g} journey maps/s, {args.commands_per_second:g} slash "
            f"commands/s, {args.trivial_per_second:g} trivial queries/s",
            flush=True,
        )
        await asyncio.gather(
            steady(doors["ingest"], batches_per_second, until, origin, send_batch),
            steady(doors["graphql map"], args.maps_per_second, until, origin, query_map),
            steady(doors["slack"], args.commands_per_second, until, origin, command),
            steady(doors["baseline"], args.trivial_per_second, until, origin, trivial_query),
            memory.watch(until, origin),
            progress(doors, memory, until, origin),
        )
        memory.sample(loop.time() - origin)  # once every answer came: nothing queued is held
    sent = len(doors["slack"].samples)  # acknowledged, so each owes an answer
    answered = await answered_commands(deployment.slack, sent)
    deployment.webs[0].check_running()
    deployment.workers[0].check_running()
    pending = await deployment.scalar("SELECT count(*) FROM pending_batch")
    caught_up = await deployment.scalar("SELECT count(*) FROM event")
    report(doors, memory, args.minutes * 60, pending, caught_up)
    print(f"{answered} of {sent} slash commands answered through their response_url")


async def answered_commands(slack: LocalSlack, sent: int) -> int:
    """How many commands the bot answered through their response_url (the work after the
    ack), once all were or after a bounded wait; the first line of each kind of answer is
    shown, so that an answer saying something went wrong is seen."""
    with contextlib.suppress(AssertionError):
        await slack.wait_for("response_url", sent, timeout=30)
    answers = slack.calls_to("response_url")
    kinds = {local_slack.readable(call.params).splitlines()[0][:100] for call in answers}
    for kind in sorted(kinds)[:8]:
        print(f"  a slash command's answer: {kind}")
    return len(answers)


async def progress(doors: dict[str, Door], memory: Memory, until: float, origin: float) -> None:
    """A line a minute, so a long soak shows it is alive."""
    loop = asyncio.get_running_loop()
    minute = 1
    while (due := origin + minute * 60) < until:
        await asyncio.sleep(due - loop.time())
        start, end = due - 60 - origin, due - origin
        line = ", ".join(
            f"{door.name} p99 {percentile(door.between(start, end), 0.99) * 1000:.0f} ms"
            for door in doors.values()
        )
        rss = ", ".join(f"{name} {memory.latest(name) / 2**20:.1f}" for name in memory.processes)
        print(f"  minute {minute}: {line}; RSS MB: {rss}", flush=True)
        minute += 1


def report(
    doors: dict[str, Door], memory: Memory, seconds: float, pending: int, events: int
) -> None:
    periods = (("first minute", 0, 60), ("last minute", seconds - 60, seconds))
    periods += (("overall", 0, seconds),)
    print(f"\n{'door':<12} {'period':<13} {'n':>6} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for door in doors.values():
        if not door.samples and not door.failures:
            continue  # left out
        for label, start, end in periods:
            samples = door.between(start, end)
            print(
                f"{door.name:<12} {label:<13} {len(samples):>6} "
                f"{door.failed_between(start, end):>6} {percentile(samples, 0.5) * 1000:>8.1f} "
                f"{percentile(samples, 0.99) * 1000:>8.1f}"
            )
        if door.skipped:
            print(f"{door.name:<12} {door.skipped} not sent: {IN_FLIGHT_MAX} answers outstanding")
        for at, failure in door.failures[:3]:
            print(f"{door.name:<12} failed at {at:.0f} s: {failure}")
    memory_report(memory, seconds)
    print(f"{events:,} events stored; {pending} batches waiting to be folded at the end")


def memory_report(memory: Memory, seconds: float) -> None:
    """Each process's resident memory, minute by minute: the median of the minute's samples
    (the resident size swings by MBs within a minute, as garbage waits for the collector, so
    one sample at each end would judge the swing). Growth is the last minute against the first
    counted one; the goal is on the web process."""
    count = math.ceil(seconds / 60)
    minutes = [(m * 60 - 60, m * 60) for m in range(count + 1)]  # minute 0: the warm-up
    minutes[-1] = (minutes[-1][0], seconds + 60)  # with the sample taken once all answered
    print("\nresident memory, MB: median of each minute's samples (minute 0 is the warm-up)")
    print(f"{'minute':<10} " + " ".join(f"{m:>6}" for m in range(count + 1)) + "  growth")
    growths = {}
    for name in memory.processes:
        medians = [memory.median_between(name, start, end) for start, end in minutes]
        growths[name] = medians[-1] / medians[1] - 1
        row = " ".join(f"{rss / 2**20:>6.1f}" for rss in medians)
        print(f"{name:<10} {row}  {growths[name]:+.1%}")
    peak = max(rss for at, rss in memory.samples["web"] if at >= 0)
    verdict = "met" if growths["web"] < MEMORY_GROWTH_TARGET else "missed"
    print(
        f"web process growth {growths['web']:+.1%} (target < {MEMORY_GROWTH_TARGET:.0%}: "
        f"{verdict}); peak {peak / 2**20:.1f} MB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--warm-up", type=float, default=60, help="seconds of load before anything is counted"
    )
    parser.add_argument("--events-per-second", type=float, default=250)
    parser.add_argument("--batch", type=int, default=100, help="events a batch")
    parser.add_argument("--maps-per-second", type=float, default=1)
    parser.add_argument("--commands-per-second", type=float, default=1)
    parser.add_argument("--trivial-per-second", type=float, default=2)
    args = parser.parse_args()
    url = await create_database(server_url(), prefix="journeyops_bench_")
    with tempfile.TemporaryDirectory(prefix="journeyops-soak-") as directory:
        async with LocalSlack() as slack:
            deployment = Deployment(
                SINGLE_WORKSPACE,
                url,
                slack,
                Path(directory),
                web_names=("web",),
                web_workers=1,
                worker_names=("worker",),
                worker_clocks={
                    "JOURNEYOPS_ALERT_EVALUATION_EVERY": "30",
                    "JOURNEYOPS_DIGESTS_EVERY": "60",
                },
            )
            try:
                started = time.perf_counter()
                await deployment.start()
                deployment.start_workers()
                print(f"deployed in {time.perf_counter() - started:.1f} s")
                await soak(deployment, args)
            except BaseException:
                for name, tail in deployment.logs():
                    print(f"--- {name}\n{tail}")
                raise
            finally:
                await deployment.stop()
    await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
