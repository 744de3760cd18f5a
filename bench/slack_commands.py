"""50 concurrent signed `/journey` commands against a real uvicorn server on localhost.

Prints p50/p99 time to the HTTP answer (Slack wants it within 3 s; target p99 ≤ 300 ms),
against a bare Starlette endpoint on the same uvicorn in the same run, and how long until
every quick log was confirmed through its response_url (the work done after the ack).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python bench/slack_commands.py
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local_slack import LocalSlack  # noqa: E402
from journeyops import migrations  # noqa: E402
from tests.support.database import create_database, drop_database, server_url  # noqa: E402
from tests.support.slack_requests import SIGNING_SECRET, command_body, signed_headers  # noqa: E402

CONCURRENCY = 50
ROUNDS = 6  # the first is a warm-up and not counted
COMMANDS = [
    "log product-page Reviews are hard to find #frustration !pain_point",
    "help",
    "map Online purchase",
    "stage decision",
    "log checkout Shipping costs appear late",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def seed(url: str) -> None:
    from infrastructure.database import create_engine, create_sessionmaker
    from tests.support.factories import (
        make_journey,
        make_member,
        make_team,
        make_touchpoint,
        make_workspace,
        stages_of,
    )

    engine = create_engine(url)
    async with create_sessionmaker(engine).begin() as session:
        workspace = await make_workspace(session, "acme")
        support = await make_team(session, workspace, "Support")
        stages = await stages_of(session, await make_journey(session, workspace, "Online purchase"))
        await make_touchpoint(session, stages[1], "Product page", key="product-page")
        await make_touchpoint(session, stages[2], "Checkout", key="checkout", owner=support)
        for user in range(CONCURRENCY):
            await make_member(session, workspace, f"U{user:04d}", support)
    await engine.dispose()


def serve(target: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})


async def wait_until_up(base: str) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(200):
            try:
                async with client.post(f"{base}/slack/events", data=b""):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"server at {base} did not start")


async def burst(
    client: aiohttp.ClientSession, base: str, response_url: str, round_: int
) -> list[float]:
    async def one(index: int) -> float:
        body = command_body(
            COMMANDS[index % len(COMMANDS)],
            response_url=response_url,
            user=f"U{index:04d}",
            trigger_id=f"bench.{round_}.{index}",
        )
        headers = signed_headers(body, "application/x-www-form-urlencoded")
        started = time.perf_counter()
        async with client.post(f"{base}/slack/events", data=body, headers=headers) as response:
            await response.read()
            elapsed = time.perf_counter() - started
            assert response.status == 200, await response.text()
        return elapsed

    return list(await asyncio.gather(*(one(i) for i in range(CONCURRENCY))))


def percentile(samples: list[float], share: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(share * 100) - 1]


async def measure(base: str, response_url: str) -> list[float]:
    samples: list[float] = []
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:
        for round_ in range(ROUNDS):
            times = await burst(client, base, response_url, round_)
            if round_:
                samples += times
    return samples


def report(name: str, samples: list[float]) -> None:
    print(
        f"{name:<28} n={len(samples):<4} p50={percentile(samples, 0.50) * 1000:7.1f} ms  "
        f"p99={percentile(samples, 0.99) * 1000:7.1f} ms  max={max(samples) * 1000:7.1f} ms"
    )


async def main() -> None:
    url = await create_database(server_url())
    fake = await LocalSlack().start()
    servers: list[subprocess.Popen] = []
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        await seed(url)
        bot_port, bare_port = free_port(), free_port()
        env = {
            "DATABASE_URL": url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": fake.api_url,
        }
        servers.append(serve(["journeyops.web:create_app", "--factory"], bot_port, env))
        servers.append(serve(["bench.bare_app:app"], bare_port, {}))
        bot, bare = f"http://127.0.0.1:{bot_port}", f"http://127.0.0.1:{bare_port}"
        await wait_until_up(bot)
        await wait_until_up(bare)

        bare_samples = await measure(bare, fake.response_url())
        fake.reset()
        started = time.perf_counter()
        bot_samples = await measure(bot, fake.response_url())
        await fake.wait_for("response_url", CONCURRENCY * ROUNDS, timeout=60)
        all_answered = time.perf_counter() - started

        print(
            f"{CONCURRENCY} concurrent signed slash commands, {ROUNDS - 1} rounds after a warm-up"
        )
        report("bare Starlette endpoint", bare_samples)
        report("/slack/events (bot)", bot_samples)
        print(
            f"every command answered through its response_url {all_answered:.2f} s after the "
            f"first was sent ({CONCURRENCY * ROUNDS} commands)"
        )
        verdict = "meets" if percentile(bot_samples, 0.99) <= 0.3 else "MISSES"
        print(f"bot p99 {verdict} the 300 ms target")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        await fake.stop()
        await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
