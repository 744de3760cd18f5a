"""The Segment-shaped endpoints, through the real app over ASGI."""

import asyncio
import base64
import gzip
import json
import logging
import zlib

import httpx
import pytest
from sqlalchemy import func, select, text

from domain.auth import service as auth_service
from domain.event.models import Event
from infrastructure.settings import Settings
from ingest_api import views
from journeyops.web import create_app
from tests.support.clock import Clock
from tests.support.database_proxy import DatabaseProxy
from tests.support.factories import identify, make_persona, track


@pytest.fixture
async def client(database_url, db):
    app = create_app(Settings(), database_url=database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client
    await app.state.runtime.close()


async def token(db, scope: str = "write", workspace: str = "acme") -> str:
    async with db.begin() as session:
        _, secret = await auth_service.create(session, workspace_name=workspace, scope=scope)
    return secret


def basic(write_key: str) -> dict[str, str]:
    """As Segment's libraries send a write key: the Basic user name, no password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def stored(db, workspace: str = "acme") -> int:
    from domain.workspace import service as workspace_service

    async with db() as session:
        found = await workspace_service.get_by_name(session, name=workspace)
        return await session.scalar(
            select(func.count()).select_from(Event).where(Event.workspace_id == found.id)
        )


async def test_a_batch_stores_the_good_events_and_answers_why_the_others_were_rejected(client, db):
    key = await token(db)
    response = await client.post(
        "/v1/batch",
        headers=basic(key),
        json={
            "batch": [
                track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="a"),
                track("ann", "Product Viewed", "not a time", message_id="b"),
                track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="a"),
                {**track("bob", "Order Completed", "2026-11-20T11:00:00Z"), "userId": None},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 2)
    assert [(e["index"], e["status"], e.get("reason")) for e in body["events"]] == [
        (1, "rejected", "invalid_timestamp"),
        (2, "duplicate", None),
        (3, "rejected", "missing_customer_id"),
    ]
    assert await stored(db) == 1


async def test_a_retried_batch_is_acknowledged_and_not_counted_twice(client, db):
    key = await token(db)
    batch = {"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]}
    first = await client.post("/v1/batch", headers=bearer(key), json=batch)
    retry = await client.post("/v1/batch", headers=bearer(key), json=batch)
    assert first.json()["accepted"] == 1
    assert (retry.status_code, retry.json()["duplicates"]) == (200, 1)
    assert await stored(db) == 1


async def test_track_and_identify_take_one_event_each(client, db):
    key = await token(db)
    async with db.begin() as session:
        from domain.workspace import service as workspace_service

        workspace = await workspace_service.get_by_name(session, name="acme")
        await make_persona(session, workspace, "Busy professional")
    event = track("ann", "Product Viewed", "2026-11-20T10:00:00Z")
    del event["type"]
    tracked = await client.post("/v1/track", headers=basic(key), json=event)
    person = identify("ann", "2026-11-20T10:00:00Z", persona="Busy professional")
    del person["type"]
    identified = await client.post("/v1/identify", headers=basic(key), json=person)
    bad = await client.post("/v1/identify", headers=basic(key), json={"userId": "ann"})
    assert (tracked.status_code, identified.status_code) == (200, 200)
    assert bad.status_code == 400
    assert bad.json()["events"][0]["reason"] == "missing_message_id"
    assert await stored(db) == 2


async def test_without_a_key_the_answer_is_401_and_a_read_token_gets_403(client, db):
    batch = {"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]}
    missing = await client.post("/v1/batch", json=batch)
    wrong = await client.post("/v1/batch", headers=basic("jo_not-a-token"), json=batch)
    reader = await client.post("/v1/batch", headers=bearer(await token(db, "read")), json=batch)
    assert (missing.status_code, wrong.status_code, reader.status_code) == (401, 401, 403)
    assert "write" in reader.json()["message"]
    assert "WWW-Authenticate" in missing.headers


async def test_each_workspace_sees_only_its_own_events_and_message_ids(client, db):
    ours, theirs = await token(db, workspace="acme"), await token(db, workspace="globex")
    batch = {"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="x")]}
    await client.post("/v1/batch", headers=basic(ours), json=batch)
    response = await client.post("/v1/batch", headers=basic(theirs), json=batch)
    assert response.json()["accepted"] == 1
    assert (await stored(db, "acme"), await stored(db, "globex")) == (1, 1)


async def test_a_batch_over_500_kb_is_413_and_nothing_is_stored(client, db):
    key = await token(db)
    events = [
        track("ann", "Product Viewed", "2026-11-20T10:00:00Z", blob="x" * 20_000) for _ in range(30)
    ]
    response = await client.post("/v1/batch", headers=basic(key), json={"batch": events})
    assert response.status_code == 413
    assert "500 KB" in response.json()["message"]
    assert await stored(db) == 0


async def test_a_batch_of_more_events_than_one_unit_of_work_takes_is_stored_whole(client, db):
    """Segment bounds a batch by its 500 KB, not by a count: 1,200 small events are stored in
    parts of at most 500, and each event is answered for at its own index."""
    key = await token(db)
    events = [
        track("ann", "Ad Clicked", "2026-11-20T10:00:00Z", message_id=f"m{i}") for i in range(1200)
    ]
    events[700] = {**events[3], "timestamp": "2026-11-20T10:05:00Z"}  # m3 again, in a later part
    events[1100] = {"type": "track", "messageId": "bad"}  # no user, no event name
    response = await client.post("/v1/batch", headers=basic(key), json={"batch": events})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1198, 1, 1)
    assert [(e["index"], e["status"]) for e in body["events"]] == [
        (700, "duplicate"),
        (1100, "rejected"),
    ]
    assert await stored(db) == 1198


async def test_an_event_over_32_kb_is_413_alone_and_rejected_inside_a_batch(client, db):
    key = await token(db)
    big = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", blob="x" * 40_000)
    alone = await client.post("/v1/track", headers=basic(key), content=json.dumps(big))
    in_batch = await client.post(
        "/v1/batch",
        headers=basic(key),
        json={"batch": [big, track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]},
    )
    assert alone.status_code == 413
    assert "32 KB" in alone.json()["message"]
    assert in_batch.json()["events"][0]["reason"] == "oversized"
    assert in_batch.json()["accepted"] == 1


@pytest.mark.parametrize("body", [b"{not json", b'{"events": []}', b"[]"])
async def test_a_body_that_is_not_a_batch_is_400(client, db, body):
    response = await client.post("/v1/batch", headers=basic(await token(db)), content=body)
    assert response.status_code == 400
    assert response.json()["message"]


async def test_an_accepted_batch_is_folded_into_metrics_in_the_background(client, db):
    key = await token(db)
    running = asyncio.all_tasks()
    response = await client.post(
        "/v1/batch",
        headers=basic(key),
        json={"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]},
    )
    assert response.json()["accepted"] == 1
    folding = asyncio.all_tasks() - running  # what the request left running: the fold
    assert folding
    await asyncio.wait_for(asyncio.gather(*folding), timeout=10)
    async with db() as session:  # no reader asked: only the web process's folder took it in
        counted = await session.scalar(
            text("SELECT sum(events) FROM event_name_count WHERE name = 'Product Viewed'")
        )
        waiting = await session.scalar(text("SELECT count(*) FROM pending_batch"))
    assert (counted, waiting) == (1, 0)


async def test_with_web_folding_off_the_batch_waits_for_the_worker_or_a_reader(database_url, db):
    app = create_app(Settings(JOURNEYOPS_WEB_FOLD=False), database_url=database_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        key = await token(db, workspace="worker folds")
        running = asyncio.all_tasks()
        response = await client.post(
            "/v1/batch",
            headers=basic(key),
            json={"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]},
        )
        assert response.json()["accepted"] == 1
        assert asyncio.all_tasks() - running == set()  # nothing left running to fold it
    await app.state.runtime.close()
    async with db() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pending_batch p JOIN workspace w ON w.id = p.workspace_id "
                "WHERE w.name = 'worker folds'"
            )
        )
    assert waiting == 1


async def test_a_revoked_token_is_refused_once_its_cached_check_expires(client, db, monkeypatch):
    from ingest_api import auth

    clock = Clock()
    monkeypatch.setattr(auth, "checked", auth.CheckedTokens(clock=clock))
    async with db.begin() as session:
        api_token, key = await auth_service.create(session, workspace_name="acme", scope="write")
    event = track("ann", "Product Viewed", "2026-11-20T10:00:00Z")
    assert (await client.post("/v1/track", headers=basic(key), json=event)).status_code == 200
    async with db.begin() as session:
        await auth_service.revoke(
            session, workspace_id=api_token.workspace_id, token_id=api_token.id
        )
    checked_at = clock.now
    clock.now = checked_at + auth.CACHE_SECONDS - 0.5
    cached = await client.post("/v1/track", headers=basic(key), json=event)
    assert cached.status_code == 200  # within CACHE_SECONDS the earlier check stands
    clock.now = checked_at + auth.CACHE_SECONDS
    refused = await client.post("/v1/track", headers=basic(key), json=event)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")


# Issue 10's reproduction, byte for byte as curl sends it.
ISSUE_10_BATCH = (
    b'{"batch":[{"type":"track","messageId":"ok1","userId":"u","event":"e"},'
    b'{"type":"track","messageId":"b","userId":"u\\u0000","event":"e"}]}'
)


async def test_a_nul_in_one_event_costs_that_event_and_not_its_batch(client, db):
    response = await client.post(
        "/v1/batch", headers=basic(await token(db)), content=ISSUE_10_BATCH
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert body["events"] == [
        {
            "index": 1,
            "messageId": "b",
            "status": "rejected",
            "reason": "invalid_field",
            "message": "userId contains a NUL character (\\u0000), which cannot be stored; "
            "remove it.",
        }
    ]
    async with db() as session:
        assert list(await session.scalars(select(Event.message_id))) == ["ok1"]


def deeply_nested(levels: int) -> bytes:
    return b'{"batch": [{"properties": %s}]}' % (b"[" * levels + b"]" * levels)


@pytest.mark.parametrize("levels", [1_100, 100_000])
async def test_json_nested_past_the_parsers_bound_is_refused_after_authentication(
    client, db, caplog, levels
):
    body = deeply_nested(levels)
    unauthenticated = await client.post("/v1/batch", content=body)
    authenticated = await client.post("/v1/batch", headers=basic(await token(db)), content=body)
    assert (unauthenticated.status_code, unauthenticated.json()["code"]) == (401, "unauthorized")
    assert (authenticated.status_code, authenticated.json()["code"]) == (400, "invalid_json")
    assert "1024 levels" in authenticated.json()["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_gzip_or_deflate_body_is_read_like_a_plain_one(client, db):
    key = await token(db)
    batch = json.dumps({"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]})
    gzipped = await client.post(
        "/v1/batch",
        headers={**basic(key), "Content-Encoding": "gzip"},
        content=gzip.compress(batch.encode()),
    )
    event = json.dumps(track("bob", "Product Viewed", "2026-11-20T10:00:00Z"))
    deflated = await client.post(
        "/v1/track",
        headers={**basic(key), "Content-Encoding": "deflate"},
        content=zlib.compress(event.encode()),
    )
    assert (gzipped.status_code, gzipped.json()["accepted"]) == (200, 1)
    assert (deflated.status_code, deflated.json()["accepted"]) == (200, 1)
    assert await stored(db) == 2


async def test_a_gzip_bomb_is_413_and_a_corrupt_stream_400(client, db):
    key = await token(db)
    bomb = gzip.compress(b'{"batch": [' + b" " * (100 * 1024 * 1024) + b"]}")
    refused = await client.post(
        "/v1/batch", headers={**basic(key), "Content-Encoding": "gzip"}, content=bomb
    )
    corrupt = await client.post(
        "/v1/batch",
        headers={**basic(key), "Content-Encoding": "gzip"},
        content=gzip.compress(b'{"batch": []}')[:-8],
    )
    assert (refused.status_code, refused.json()["code"]) == (413, "payload_too_large")
    assert (corrupt.status_code, corrupt.json()["code"]) == (400, "invalid_body")
    assert "not a valid gzip stream" in corrupt.json()["message"]


async def test_an_unsupported_content_encoding_is_415(client, db):
    response = await client.post(
        "/v1/batch",
        headers={**basic(await token(db)), "Content-Encoding": "br"},
        content=b"\x0b\x02\x80{}\x03",
    )
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_encoding")
    assert "gzip or deflate" in response.json()["message"]


async def test_every_refusal_carries_a_code_and_a_message_as_segment_answers(client, db):
    key, reader = await token(db), await token(db, "read")
    big = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", blob="x" * 40_000)
    answers = [
        await client.post("/v1/batch", content=b"{}"),
        await client.post("/v1/batch", headers=bearer(reader), content=b"{}"),
        await client.post("/v1/batch", headers=basic(key), content=b"{not json"),
        await client.post("/v1/batch", headers=basic(key), content=b"[]"),
        await client.post("/v1/track", headers=basic(key), json=big),
        await client.post("/v1/track", headers=basic(key), json={"userId": "ann"}),
    ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (401, "unauthorized"),
        (403, "forbidden"),
        (400, "invalid_json"),
        (400, "invalid_request"),
        (413, "payload_too_large"),
        (400, "missing_message_id"),
    ]
    assert all(a.json()["message"] and a.json()["success"] is False for a in answers)


async def test_while_the_database_is_unreachable_the_answer_is_503_with_retry_after():
    app = create_app(Settings(), database_url="postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/v1/batch",
            headers=basic("jo_never-seen-before"),
            json={"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]},
        )
    await app.state.runtime.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(views.RETRY_AFTER_SECONDS)
    assert response.json()["code"] == "database_unavailable"


async def test_a_database_lost_between_batches_answers_503_and_the_retry_is_stored(
    database_url, db
):
    key = await token(db)
    batch = {"batch": [track("ann", "Product Viewed", "2026-11-20T10:00:00Z")]}
    async with DatabaseProxy(database_url) as proxy:
        app = create_app(Settings(JOURNEYOPS_WEB_FOLD=False), database_url=proxy.url)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            earlier = track("bob", "Product Viewed", "2026-11-20T09:00:00Z")
            first = await client.post("/v1/track", headers=basic(key), json=earlier)
            await proxy.cut()  # the token is remembered and the pool holds a connection: both lost
            during = await client.post("/v1/batch", headers=basic(key), json=batch)
            await proxy.start()
            after = await client.post("/v1/batch", headers=basic(key), json=batch)
        await app.state.runtime.close()
    assert [first.status_code, during.status_code, after.status_code] == [200, 503, 200]
    assert during.headers["Retry-After"] == str(views.RETRY_AFTER_SECONDS)
    assert after.json()["accepted"] == 1
    assert await stored(db) == 2


async def test_an_unforeseen_failure_is_a_json_500(client, db, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.event_service, "ingest", broken)
    response = await client.post("/v1/batch", headers=basic(await token(db)), json={"batch": []})
    assert (response.status_code, response.json()["code"]) == (500, "internal_error")
    assert "a bug" in caplog.text  # logged with its traceback for whoever fixes it


async def test_page_screen_group_and_alias_have_their_endpoints(client, db):
    key = await token(db)
    at = "2026-11-20T10:00:00Z"
    answers = {
        call: await client.post(
            f"/v1/{call}",
            headers=basic(key),
            json={"messageId": call, "userId": "ann", "timestamp": at, "name": "Pricing"},
        )
        for call in ("page", "screen", "group", "alias")
    }
    assert {call: a.status_code for call, a in answers.items()} == dict.fromkeys(answers, 200)
    assert [answers[c].json()["accepted"] for c in answers] == [1, 1, 0, 0]
    assert answers["alias"].json()["events"][0]["status"] == "ignored"
    async with db() as session:
        names = await session.scalars(select(Event.name).order_by(Event.name))
    assert list(names) == ["Viewed Pricing Page", "Viewed Pricing Screen"]
