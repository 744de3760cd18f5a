"""`/metrics`: what operators scrape, read back with prometheus-client's own parser."""

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.factories import (
    make_alert,
    make_alert_rule,
    make_journey,
    make_token,
    make_workspace,
    stages_of,
    track,
)

JOURNEYOPS = str(Path(sys.executable).with_name("journeyops"))


def figures(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def events(scrape: dict, result: str) -> float:
    return scrape.get(("journeyops_events_total", (("result", result),)), 0.0)


def basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}


@pytest.fixture
async def client(database_url, db):
    # The worker's job, not the web process, takes batches in: they stay pending here.
    app = create_app(Settings(JOURNEYOPS_WEB_FOLD=False), database_url=database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client
    await app.state.runtime.close()


async def test_metrics_count_events_by_result_and_show_the_outbox_and_the_fold_lag(client, db):
    async with db.begin() as session:
        workspace = await make_workspace(session)
        secret = await make_token(session, workspace)
        journey = await make_journey(session, workspace)
        rule = await make_alert_rule(session, journey)
        [first, *_] = await stages_of(session, journey)
        await make_alert(session, rule, first, channels=("C0SALES01", "C0SUPPORT"))
    before = figures((await client.get("/metrics")).text)

    batch = [
        track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m1"),
        track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m1"),
        track("ann", "Product Viewed", "not a time", message_id="m2"),
    ]
    assert (await client.post("/v1/batch", headers=basic(secret), json={"batch": batch})).is_success
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    after = figures(response.text)
    assert {
        r: events(after, r) - events(before, r) for r in ("accepted", "duplicate", "rejected")
    } == {
        "accepted": 1,
        "duplicate": 1,
        "rejected": 1,
    }
    assert after["journeyops_outbox_messages", ()] == 2  # the alert's post to each channel
    assert after["journeyops_outbox_oldest_due_seconds", ()] >= 0
    assert after["journeyops_fold_pending_batches", ()] == 1
    assert after["journeyops_fold_oldest_pending_seconds", ()] >= 0


async def test_events_sent_through_graphql_are_counted_too(client, db):
    async with db.begin() as session:
        workspace = await make_workspace(session)
        secret = await make_token(session, workspace)
    before = figures((await client.get("/metrics")).text)
    batch = [
        track("bob", "Product Viewed", "2026-11-20T10:00:00Z", message_id="g1"),
        track("bob", "Product Viewed", "not a time", message_id="g2"),
    ]
    response = await client.post(
        "/graphql",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "query": "mutation($input: IngestEventsInput!) { ingestEvents(input: $input) "
            "{ accepted rejected errors { message } } }",
            "variables": {"input": {"events": batch}},
        },
    )
    assert response.json()["data"]["ingestEvents"] == {"accepted": 1, "rejected": 1, "errors": []}
    after = figures((await client.get("/metrics")).text)
    assert {r: events(after, r) - events(before, r) for r in ("accepted", "rejected")} == {
        "accepted": 1,
        "rejected": 1,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_server_processes_sharing_a_port_report_the_same_totals(database_url, db):
    """`serve --workers 2`: whichever process answers a scrape counts every process's events."""
    async with db.begin() as session:
        secret = await make_token(session, await make_workspace(session))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [JOURNEYOPS, "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "never served"
                await asyncio.sleep(0.1)
            sent = 20
            for number in range(sent):  # new connections: spread over both processes
                async with httpx.AsyncClient(base_url=base) as fresh:
                    event = track("ann", "Product Viewed", "2026-11-20T10:00:00Z")
                    answer = await fresh.post("/v1/track", headers=basic(secret), json=event)
                    assert answer.status_code == 200, (number, answer.text)
            scrapes = []
            for _ in range(6):
                async with httpx.AsyncClient(base_url=base) as fresh:
                    scrapes.append(events(figures((await fresh.get("/metrics")).text), "accepted"))
        assert scrapes == [sent] * 6
    finally:
        server.terminate()
        server.wait(timeout=30)
