"""Events sent by the libraries pipelines really use, Segment's `segment-analytics-python`
(gzip on and off) and RudderStack's SDK (gzip by default), to a real server on a free port:
every call lands, neither library reports an error, a refusal is not retried and a database
outage is (503 with Retry-After).

The libraries post from their own threads with `requests`; the server runs in the test's event
loop, so the libraries are driven from a worker thread (asyncio.to_thread)."""

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import uvicorn
from rudderstack.analytics.client import Client as RudderStackClient
from segment.analytics.client import Client as SegmentClient
from sqlalchemy import select

from domain.customer.models import Customer
from domain.event.models import Event
from domain.metrics import fold
from infrastructure.settings import Settings
from ingest_api import views
from journeyops.web import create_app
from tests.support.database_proxy import DatabaseProxy
from tests.support.factories import make_persona, make_token, make_workspace

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


class Answers:
    """ASGI middleware noting the status and body of every HTTP answer the app gives."""

    def __init__(self, app):
        self.app = app
        self.statuses: list[int] = []
        self.bodies: list[bytes] = []

    def events_answered(self, *outcomes: str) -> int:
        """How many events the answers counted as one of `outcomes` (accepted, duplicates…)."""
        counted = (json.loads(body) for body in self.bodies if body)
        return sum(answer.get(outcome, 0) for answer in counted for outcome in outcomes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def noting(message):
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            elif message["type"] == "http.response.body":
                self.bodies.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, noting)


@contextlib.asynccontextmanager
async def serving(database_url: str):
    """The web app under uvicorn on a free port: (its address, its answers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    answers = Answers(create_app(Settings(), database_url=database_url))
    server = uvicorn.Server(uvicorn.Config(answers, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", answers
    finally:
        server.should_exit = True
        await task


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def workspace_key(db):
    """A write key of a workspace with the persona “Busy professional”."""
    async with db.begin() as session:
        workspace = await make_workspace(session)
        await make_persona(session, workspace, "Busy professional")
        return await make_token(session, workspace)


def segment(host: str, key: str, errors: list, **options) -> SegmentClient:
    return SegmentClient(
        key,
        host=host,
        on_error=lambda error, batch: errors.append(error),
        upload_interval=0.05,
        **options,
    )


def rudderstack(host: str, key: str, errors: list, **options) -> RudderStackClient:
    return RudderStackClient(
        key,
        host=host,
        on_error=lambda error, batch: errors.append(error),
        upload_interval=0.05,
        **options,
    )


def every_call(client) -> None:
    """One of each of Segment's calls, as an application makes them."""
    client.identify("ann", {"persona": "Busy professional", "plan": "pro"}, timestamp=AT)
    client.track("ann", "Product Viewed", {"sku": "X-1"}, timestamp=AT)
    client.page("ann", "Docs", "Setup", {"path": "/docs/setup"}, timestamp=AT)
    client.screen("ann", name="Cart", timestamp=AT)
    client.group("ann", "acme-corp", {"plan": "enterprise"}, timestamp=AT)
    client.alias("anon-1", "ann", timestamp=AT)


async def delivered(client) -> None:
    """Wait until the library has sent all it holds (bounded: a library retrying for ever fails
    the test instead of hanging it)."""

    def flush() -> None:
        client.flush()
        client.join()

    await asyncio.wait_for(asyncio.to_thread(flush), timeout=30)


async def stored(db) -> tuple[list[tuple[str, str | None]], object]:
    async with db() as session:
        events = await session.execute(select(Event.type, Event.name).order_by(Event.type))
        workspace_id = await session.scalar(select(Event.workspace_id).limit(1))
        await fold.catch_up(session, workspace_id=workspace_id)
        await session.commit()
        persona = await session.scalar(
            select(Customer.persona_id).where(Customer.external_id == "ann")
        )
        return list(events.all()), persona


EVERY_CALL_STORED = [
    ("identify", None),
    ("page", "Viewed Docs Setup Page"),
    ("screen", "Viewed Cart Screen"),
    ("track", "Product Viewed"),
]


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
async def test_segments_library_delivers_every_call(database_url, db, workspace_key, gzip):
    errors: list = []
    async with serving(database_url) as (host, answers):
        client = segment(host, workspace_key, errors, gzip=gzip)
        await asyncio.to_thread(every_call, client)
        await delivered(client)
    events, persona = await stored(db)
    assert errors == []
    assert set(answers.statuses) == {200}
    assert events == EVERY_CALL_STORED
    assert persona is not None


async def test_rudderstacks_sdk_delivers_every_call_and_its_traits(database_url, db, workspace_key):
    errors: list = []
    async with serving(database_url) as (host, answers):
        client = rudderstack(host, workspace_key, errors)  # gzip is its default
        await asyncio.to_thread(every_call, client)
        await delivered(client)
    events, persona = await stored(db)
    assert errors == []
    assert set(answers.statuses) == {200}
    assert events == EVERY_CALL_STORED
    assert persona is not None  # from context.traits, where this SDK puts them


async def test_a_bad_event_costs_neither_library_its_batch(database_url, db, workspace_key):
    errors: list = []
    async with serving(database_url) as (host, answers):
        for client in (
            segment(host, workspace_key, errors, gzip=True),
            rudderstack(host, workspace_key, errors),
        ):
            client.track("ann", "Product Viewed", timestamp=AT)
            client.track("bob\x00", "Product Viewed", timestamp=AT)
            client.track("cid", "Product Viewed", {"when": "\ud800"}, timestamp=AT)
            await delivered(client)
    events, _ = await stored(db)
    assert errors == []
    # However each library cuts its queue into batches, every batch is answered 200 once and
    # never sent again: six events answered, none of them twice.
    assert set(answers.statuses) == {200}
    assert answers.events_answered("accepted", "rejected") == 6
    assert answers.events_answered("duplicates") == 0
    assert len(events) == 2


@pytest.mark.parametrize("library", [segment, rudderstack])
async def test_a_refused_batch_is_reported_once_and_not_retried(database_url, db, library):
    errors: list = []
    async with serving(database_url) as (host, answers):
        client = library(host, "jo_not-a-token", errors, max_retries=3)
        client.track("ann", "Product Viewed", timestamp=AT)
        await delivered(client)
    assert answers.statuses == [401]
    assert [(e.status, e.code) for e in errors] == [(401, "unauthorized")]


@pytest.mark.parametrize("library", [segment, rudderstack])
async def test_during_a_database_outage_both_libraries_retry_until_it_is_back(
    database_url, db, workspace_key, library, monkeypatch
):
    monkeypatch.setattr(views, "RETRY_AFTER_SECONDS", 1)
    errors: list = []
    async with DatabaseProxy(database_url) as proxy, serving(proxy.url) as (host, answers):
        await proxy.cut()
        client = library(host, workspace_key, errors)
        client.track("ann", "Product Viewed", timestamp=AT)
        await until(lambda: 503 in answers.statuses)
        await proxy.start()
        await delivered(client)
    events, _ = await stored(db)
    assert errors == []
    assert answers.statuses[0] == 503 and answers.statuses[-1] == 200
    assert events == [("track", "Product Viewed")]
