"""Hostile values at every ingestion field, through /v1/batch (plain and gzip): never a 5xx,
the good events of the batch are stored, and every event not stored is named with a status
and a reason or message; an event that holds what PostgreSQL or the calendar cannot (NUL, lone
surrogates, dates outside 1900–9000, nesting past DEPTH_MAX, an unreadable number) is always
rejected."""

import gzip
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.event.message import DEPTH_MAX, Reason
from domain.event.models import Event
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.factories import make_token, make_workspace

HUGE = "__a number of 5000 digits__"  # json.dumps cannot write one; put in after dumping
UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])


def _unstorable_text():
    return st.tuples(st.text(max_size=8), UNSTORABLE, st.text(max_size=8)).map("".join)


def _nested(levels: int, leaf) -> object:
    value = leaf
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


@dataclass
class Hostile:
    """A value for one field, and whether it must cost its event."""

    value: object
    refused: bool


def _scalars():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
    )


def _json_values():
    return st.recursive(
        _scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=12,
    )


def _bad_for_text() -> st.SearchStrategy[Hostile]:
    """For an id, a name or a type: unstorable text (refused), or anything else."""
    return st.one_of(
        _unstorable_text().map(lambda v: Hostile(v, True)),
        _json_values().map(lambda v: Hostile(v, False)),
        st.text(min_size=201, max_size=300).map(lambda v: Hostile(v, False)),
    )


def _timestamps() -> st.SearchStrategy[Hostile]:
    offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    dates = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
    return st.one_of(
        st.tuples(dates, offsets).map(
            lambda d: Hostile(
                d[0].replace(tzinfo=d[1]).isoformat(),
                not datetime(1900, 1, 1, tzinfo=UTC)
                <= d[0].replace(tzinfo=d[1])
                <= datetime(9000, 1, 1, tzinfo=UTC),
            )
        ),
        _json_values().map(lambda v: Hostile(v, False)),
        _unstorable_text().map(lambda v: Hostile(v, True)),  # never a date
    )


def _bags() -> st.SearchStrategy[Hostile]:
    """For properties and traits: deep, wide, unstorable keys and values, huge numbers."""
    return st.one_of(
        _json_values().map(lambda v: Hostile(v, False)),
        st.integers(min_value=DEPTH_MAX + 1, max_value=200).map(
            lambda n: Hostile({"deep": _nested(n, 1)}, True)
        ),
        st.integers(min_value=1, max_value=DEPTH_MAX - 2).map(
            lambda n: Hostile({"deep": _nested(n, "leaf")}, False)
        ),
        st.integers(min_value=1, max_value=3000).map(
            lambda n: Hostile({f"k{i}": i for i in range(n)}, False)  # wide, maybe oversized
        ),
        _unstorable_text().map(lambda v: Hostile({"plan": {"tags": [v]}}, True)),
        _unstorable_text().map(lambda v: Hostile({v: 1}, True)),
        st.just(Hostile({"n": HUGE}, True)),
    )


FIELDS = {
    "messageId": _bad_for_text(),
    "userId": _bad_for_text(),
    "anonymousId": _bad_for_text(),
    "event": _bad_for_text(),
    "name": _bad_for_text(),
    "type": st.one_of(
        _bad_for_text(),
        st.sampled_from(["page", "screen", "identify", "group", "alias"]).map(
            lambda v: Hostile(v, False)
        ),
    ),
    "timestamp": _timestamps(),
    "properties": _bags(),
    "traits": _bags(),
    "context": _bags().map(lambda h: Hostile({"traits": h.value}, h.refused)),
}


def _stores(field: str, event: dict) -> bool:
    """Whether the call stores `field` (a hostile value elsewhere costs nothing)."""
    kind = event.get("type")
    kind = kind.strip().lower() if isinstance(kind, str) and kind.strip() else "track"
    stored = {
        "track": {"messageId", "userId", "anonymousId", "event", "properties"},
        "identify": {"messageId", "userId", "anonymousId", "traits", "context"},
        "page": {"messageId", "userId", "anonymousId", "name", "properties"},
        "screen": {"messageId", "userId", "anonymousId", "name", "properties"},
    }
    return field in event and field in stored.get(kind, ())


@st.composite
def hostile_events(draw):
    event = {
        "type": "track",
        "messageId": uuid.uuid4().hex,
        "userId": "someone",
        "event": "Product Viewed",
        "timestamp": "2026-11-20T10:00:00Z",
    }
    drawn = {}
    fields = st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=3, unique=True)
    for field in draw(fields):
        drawn[field] = draw(FIELDS[field])
        if field == "anonymousId":
            event.pop("userId", None)
        event[field] = drawn[field].value
    return event, any(h.refused and _stores(field, event) for field, h in drawn.items())


def _good(index: int) -> dict:
    return {
        "type": "track",
        "messageId": f"good-{uuid.uuid4().hex}",
        "userId": f"customer-{index}",
        "event": "Product Viewed",
        "timestamp": "2026-11-20T10:00:00Z",
        "properties": {"plan": "pro"},
    }


@pytest.fixture
async def fuzzed(database_url, db):
    async with db.begin() as session:
        key = await make_token(session, await make_workspace(session))
    app = create_app(Settings(JOURNEYOPS_WEB_FOLD=False), database_url=database_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client
    await app.state.runtime.close()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(hostile=st.lists(hostile_events(), min_size=1, max_size=4), compressed=st.booleans())
async def test_hostile_events_cost_only_themselves(fuzzed, db, hostile, compressed):
    goods = [_good(0), _good(1)]
    batch = [goods[0], *(event for event, _ in hostile), goods[1]]
    body = json.dumps({"batch": batch}).replace(json.dumps(HUGE), "9" * 5000).encode()
    headers = {"Content-Encoding": "gzip"} if compressed else {}
    response = await fuzzed.post(
        "/v1/batch", content=gzip.compress(body) if compressed else body, headers=headers
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    named = {item["index"]: item for item in answer["events"]}
    assert 0 not in named and len(batch) - 1 not in named, answer
    for index, (_, refused) in enumerate(hostile, start=1):
        item = named.get(index)
        if refused:
            assert item is not None and item["status"] == "rejected", (index, answer)
        if item is not None:
            assert item["status"] in ("rejected", "duplicate", "ignored")
            assert item["status"] == "duplicate" or item["message"]
            if item["status"] == "rejected":
                assert item["reason"] in set(Reason)
    async with db() as session:
        ids = [g["messageId"] for g in goods]
        stored = await session.scalars(select(Event.message_id).where(Event.message_id.in_(ids)))
        assert sorted(stored) == sorted(ids)
