"""Ingestion: per-event answers, idempotency, personas, partitions, unmapped events."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from domain.customer.models import Customer
from domain.errors import ErrorCode, ValidationError
from domain.event import jsontext
from domain.event.message import EVENT_BYTES_MAX, Reason
from domain.event.models import Event
from domain.event.service import Status
from domain.metrics import fold
from domain.metrics.stage_metrics import stage_metrics
from domain.metrics.unmapped_events import unmapped_events
from tests.support.factories import (
    identify,
    make_journey,
    make_persona,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)
from tests.support.waiting import a_statement_waits_for_a_lock

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def stored_events(session, workspace) -> int:
    return await session.scalar(
        select(func.count()).select_from(Event).where(Event.workspace_id == workspace.id)
    )


async def test_each_bad_event_is_rejected_with_its_reason_and_the_good_ones_are_stored(session):
    workspace = await make_workspace(session)
    good = track("ann", "Product Viewed", "2026-11-20T10:00:00Z")
    events = [
        good,
        {**track("bob", "Product Viewed", "2026-11-20T10:00:00Z"), "messageId": None},
        {**track("bob", "Product Viewed", "2026-11-20T10:00:00Z"), "userId": None},
        track("bob", "Product Viewed", "yesterday at noon"),
        track("bob", "Product Viewed", "2026-11-20T14:00:00Z"),
        track("bob", "Product Viewed", "2026-11-20T10:00:00Z", blob="x" * EVENT_BYTES_MAX),
        {**track("bob", "Product Viewed", "2026-11-20T10:00:00Z"), "type": "merge"},
        track("bob", "", "2026-11-20T10:00:00Z"),
        {**track("bob", "Product Viewed", "2026-11-20T10:00:00Z"), "properties": [1, 2]},
        "not an object",
    ]
    result = await send(session, workspace, *events, received_at=NOW)

    assert [(r.index, r.status, r.reason) for r in result.results] == [
        (0, Status.ACCEPTED, None),
        (1, Status.REJECTED, Reason.MISSING_MESSAGE_ID),
        (2, Status.REJECTED, Reason.MISSING_CUSTOMER_ID),
        (3, Status.REJECTED, Reason.INVALID_TIMESTAMP),
        (4, Status.REJECTED, Reason.FUTURE_TIMESTAMP),
        (5, Status.REJECTED, Reason.OVERSIZED),
        (6, Status.REJECTED, Reason.UNKNOWN_TYPE),
        (7, Status.REJECTED, Reason.MISSING_EVENT_NAME),
        (8, Status.REJECTED, Reason.INVALID_FIELD),
        (9, Status.REJECTED, Reason.INVALID_FIELD),
    ]
    assert all(r.message for r in result.results[1:])
    assert "32 KB" in result.results[5].message
    assert await stored_events(session, workspace) == 1


async def test_more_than_500_events_at_once_are_refused_whole(session):
    workspace = await make_workspace(session)
    events = [track("ann", "Ad Clicked", "2026-11-20T10:00:00Z") for _ in range(501)]
    with pytest.raises(ValidationError) as refused:
        await send(session, workspace, *events)
    assert (refused.value.field, refused.value.code) == ("events", ErrorCode.PAYLOAD_TOO_LARGE)
    assert await stored_events(session, workspace) == 0
    assert (await send(session, workspace, *events[:500])).accepted == 500


async def test_a_message_id_seen_before_is_acknowledged_and_not_stored_again(session):
    workspace = await make_workspace(session)
    first = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m-1")
    again = {**first, "event": "Something Else"}
    result = await send(session, workspace, first, again, received_at=NOW)
    retry = await send(session, workspace, first, received_at=NOW)

    assert [r.status for r in result.results] == [Status.ACCEPTED, Status.DUPLICATE]
    assert [r.status for r in retry.results] == [Status.DUPLICATE]
    assert await stored_events(session, workspace) == 1


async def test_a_batch_mixing_seen_and_new_message_ids_stores_only_the_new_ones(session):
    workspace = await make_workspace(session)
    seen = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m-1")
    await send(session, workspace, seen, received_at=NOW)
    new = [
        track("bob", "Product Viewed", "2026-11-20T11:00:00Z", message_id=f"m-{n}") for n in (2, 3)
    ]
    result = await send(session, workspace, new[0], seen, new[1], received_at=NOW)
    again = await send(session, workspace, *new, received_at=NOW)

    assert [r.status for r in result.results] == [
        Status.ACCEPTED,
        Status.DUPLICATE,
        Status.ACCEPTED,
    ]
    assert [r.message_id for r in again.results if r.status is Status.DUPLICATE] == ["m-2", "m-3"]
    assert await stored_events(session, workspace) == 3


async def test_a_message_id_another_batch_is_storing_is_a_duplicate_once_that_one_commits(db):
    async with db.begin() as session:
        workspace = await make_workspace(session)
        # the month's partition exists: neither batch below waits to make it
        await send(session, workspace, track("ann", "Product Viewed", "2026-11-20T09:00:00Z"))
    event = track("bob", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m-1")

    async with db.begin() as first:
        assert (await send(first, workspace, event, received_at=NOW)).accepted == 1

        async def second_batch():
            async with db.begin() as second:
                return await send(second, workspace, event, received_at=NOW)

        second = asyncio.create_task(second_batch())
        await a_statement_waits_for_a_lock(db)
    result = await second

    assert [r.status for r in result.results] == [Status.DUPLICATE]
    async with db() as session:
        assert await stored_events(session, workspace) == 2


async def test_message_ids_are_per_workspace(session):
    one, other = await make_workspace(session), await make_workspace(session)
    event = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m-1")
    await send(session, one, event, received_at=NOW)
    result = await send(session, other, event, received_at=NOW)
    assert result.accepted == 1


async def test_events_of_any_month_are_accepted_into_their_partition(session):
    workspace = await make_workspace(session)
    result = await send(
        session,
        workspace,
        track("ann", "Old Order", "2009-02-13T23:31:30Z"),
        track("ann", "New Order", "2026-11-20T10:00:00+01:00"),
        received_at=NOW,
    )
    assert result.accepted == 2
    partitions = await session.scalars(
        text("SELECT tableoid::regclass::text FROM event ORDER BY timestamp")
    )
    assert list(partitions) == ["event_partition.event_2009_02", "event_partition.event_2026_11"]


async def test_a_missing_timestamp_means_when_it_arrived(session):
    workspace = await make_workspace(session)
    event = track("ann", "Product Viewed", "")
    await send(session, workspace, event, received_at=NOW)
    assert await session.scalar(select(Event.timestamp)) == NOW


async def test_identify_sets_the_persona_by_name_and_a_late_identify_does_not_override(session):
    workspace = await make_workspace(session)
    budget = await make_persona(session, workspace, "Budget-conscious shopper")
    busy = await make_persona(session, workspace, "Busy professional")
    await send(
        session,
        workspace,
        identify("ann", "2026-11-20T10:00:00Z", persona="busy PROFESSIONAL"),
        identify("ann", "2026-11-19T10:00:00Z", persona=budget.name),
        identify("ann", "2026-11-20T11:00:00Z", plan="pro"),
        received_at=NOW,
    )
    await fold.catch_up(session, workspace_id=workspace.id)
    customer = await session.scalar(select(Customer).where(Customer.external_id == "ann"))
    assert customer.persona_id == busy.id

    later = identify("ann", "2026-11-20T10:30:00Z", personaId=str(budget.id))
    await send(session, workspace, later)
    await fold.catch_up(session, workspace_id=workspace.id)
    await session.refresh(customer)
    assert customer.persona_id == budget.id


async def test_an_identify_naming_an_unknown_persona_is_rejected(session):
    workspace = await make_workspace(session)
    result = await send(
        session, workspace, identify("ann", "2026-11-20T10:00:00Z", persona="Martian")
    )
    assert result.results[0].reason == Reason.UNKNOWN_PERSONA
    assert "Martian" in result.results[0].message


async def test_unmapped_events_are_counted_and_included_once_a_touchpoint_maps_them(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("look", "buy"))
    look, buy = await stages_of(session, journey)
    await make_touchpoint(session, look, event_names=("Product Viewed",))
    await send(
        session,
        workspace,
        track("ann", "Product Viewed", "2026-11-10T10:00:00Z"),
        track("ann", "Order Completed", "2026-11-11T10:00:00Z"),
        track("bob", "Order Completed", "2026-11-12T10:00:00Z"),
        received_at=NOW,
    )
    await session.commit()
    unmapped = await unmapped_events(session, workspace_id=workspace.id)
    assert [(u.name, u.events) for u in unmapped] == [("Order Completed", 2)]

    await make_touchpoint(session, buy, event_names=("Order Completed",))

    await session.commit()
    assert await unmapped_events(session, workspace_id=workspace.id) == []
    await session.commit()
    metrics = await stage_metrics(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        start=datetime(2026, 11, 1).date(),
        end=datetime(2026, 12, 1).date(),
        as_of=NOW,
    )
    assert [(s.entered, s.converted) for s in metrics.stages] == [(1, 1), (2, None)]


async def test_deleting_a_persona_leaves_its_customers_without_one(session):
    from domain.persona import service as persona_service

    workspace = await make_workspace(session)
    busy = await make_persona(session, workspace, "Busy professional")
    await send(session, workspace, identify("ann", "2026-11-20T10:00:00Z", persona=busy.name))
    await fold.catch_up(session, workspace_id=workspace.id)
    await persona_service.delete(session, workspace_id=workspace.id, persona_id=busy.id)
    customer = await session.scalar(select(Customer).where(Customer.external_id == "ann"))
    await session.refresh(customer)
    assert customer.persona_id is None


# Issue 10: one bad event never costs its batch. Each hostile value sits in one event next to a
# good one; the good one is stored, the bad one named with its field.

GOOD = {"type": "track", "messageId": "good", "userId": "ann", "event": "e"}


def _hostile(field: str, bad: str) -> dict:
    event = {
        "type": "identify" if field.startswith(("traits", "context")) else "track",
        "messageId": "bad",
        "userId": "bob",
        "event": "e",
    }
    match field.split("."):
        case [top]:
            event[top] = bad
        case ["properties" | "traits" as bag, "key"]:
            event[bag] = {bad: 1}
        case ["properties" | "traits" as bag, "value"]:
            event[bag] = {"plan": {"tags": ["ok", bad]}}
        case ["context", "traits"]:
            event["context"] = {"traits": {"plan": bad}}
    return event


HOSTILE_FIELDS = [
    ("userId", "userId"),
    ("anonymousId", "anonymousId"),
    ("messageId", "messageId"),
    ("event", "event"),
    ("properties.key", "properties"),
    ("properties.value", "properties.plan.tags[1]"),
    ("traits.key", "traits"),
    ("traits.value", "traits.plan.tags[1]"),
    ("context.traits", "context.traits.plan"),
]


@pytest.mark.parametrize("bad", ["u\x00", "\ud800x"], ids=["nul", "lone surrogate"])
@pytest.mark.parametrize(("field", "named"), HOSTILE_FIELDS, ids=[f for f, _ in HOSTILE_FIELDS])
async def test_text_postgresql_cannot_store_costs_only_its_own_event(session, field, named, bad):
    workspace = await make_workspace(session)
    hostile = _hostile(field, bad)
    if field == "anonymousId":
        del hostile["userId"]
    result = await send(session, workspace, GOOD, hostile, received_at=NOW)

    good, rejected = result.results
    assert good.status is Status.ACCEPTED
    assert (rejected.status, rejected.reason) == (Status.REJECTED, Reason.INVALID_FIELD)
    assert named in rejected.message
    assert ("NUL" if "\x00" in bad else "surrogate") in rejected.message
    assert "\x00" not in rejected.message and "\ud800" not in rejected.message
    assert await stored_events(session, workspace) == 1


@pytest.mark.parametrize(
    "timestamp",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:30:00-01:00",
        "1899-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59+14:00",
    ],
)
async def test_a_timestamp_outside_the_calendar_costs_only_its_own_event(session, timestamp):
    workspace = await make_workspace(session)
    result = await send(
        session, workspace, GOOD, track("bob", "e", timestamp, message_id="b"), received_at=NOW
    )
    assert [(r.status, r.reason) for r in result.results] == [
        (Status.ACCEPTED, None),
        (Status.REJECTED, Reason.INVALID_TIMESTAMP),
    ]
    assert "1900-01-01 and 9000-01-01" in result.results[1].message
    assert await stored_events(session, workspace) == 1


def nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


async def test_properties_nested_deeper_than_32_levels_cost_only_their_event(session):
    workspace = await make_workspace(session)
    deepest_allowed = {**track("ann", "e", "2026-11-20T10:00:00Z"), "properties": nested(32)}
    too_deep = {**track("bob", "e", "2026-11-20T10:00:00Z"), "properties": nested(33)}
    issue_10 = {**track("cid", "e", "2026-11-20T10:00:00Z"), "properties": nested(500)}
    result = await send(session, workspace, deepest_allowed, too_deep, issue_10, received_at=NOW)

    assert [(r.status, r.reason) for r in result.results] == [
        (Status.ACCEPTED, None),
        (Status.REJECTED, Reason.INVALID_FIELD),
        (Status.REJECTED, Reason.INVALID_FIELD),
    ]
    assert "properties.a.a.a.a.a…" in result.results[1].message
    assert "more than 32 levels" in result.results[1].message
    assert await stored_events(session, workspace) == 1


async def test_a_number_too_long_to_read_costs_only_its_own_event(session):
    workspace = await make_workspace(session)
    body = (
        b'{"batch": [%s, {"messageId": "b", "userId": "u", "event": "e", "properties": {"n": %s}}]}'
    )
    events = jsontext.loads(body % (json.dumps(GOOD).encode(), b"9" * 5000))["batch"]
    result = await send(session, workspace, *events, received_at=NOW)
    assert [(r.status, r.reason) for r in result.results] == [
        (Status.ACCEPTED, None),
        (Status.REJECTED, Reason.INVALID_FIELD),
    ]
    assert "properties.n is a number of 5000 digits" in result.results[1].message


async def test_values_of_the_wrong_type_are_named(session):
    workspace = await make_workspace(session)
    result = await send(
        session,
        workspace,
        {**GOOD, "userId": {"id": 1}},
        {**GOOD, "event": ["e"]},
        {**GOOD, "timestamp": 1_700_000_000},
        {**GOOD, "type": {"x": 1}},
        {**GOOD, "messageId": True},
        identify("ann", "2026-11-20T10:00:00Z", persona=["Busy"]),
        received_at=NOW,
    )
    assert [(r.reason, r.message.split(" ")[0]) for r in result.results] == [
        (Reason.INVALID_FIELD, "userId"),
        (Reason.INVALID_FIELD, "event"),
        (Reason.INVALID_TIMESTAMP, "timestamp"),
        (Reason.UNKNOWN_TYPE, "type"),
        (Reason.INVALID_FIELD, "messageId"),
        (Reason.INVALID_FIELD, "traits.persona"),
    ]


async def test_a_nul_outside_what_is_stored_does_not_cost_the_event(session):
    workspace = await make_workspace(session)
    event = {**GOOD, "context": {"userAgent": "x\x00y", "ip": "\ud800"}}
    result = await send(session, workspace, event, received_at=NOW)
    assert result.accepted == 1


# Segment's other calls (issue 9): page and screen are named events, group and alias ignored.


def view(kind: str, customer: str, at: str, **fields) -> dict:
    return {
        "type": kind,
        "messageId": uuid.uuid4().hex,
        "userId": customer,
        "timestamp": at,
        **fields,
    }


async def test_page_and_screen_views_are_named_as_segment_names_them(session):
    workspace = await make_workspace(session)
    at = "2026-11-20T10:00:00Z"
    await send(
        session,
        workspace,
        view("page", "ann", at, name="Pricing"),
        view("page", "ann", at, name="Setup", category="Docs", properties={"path": "/docs"}),
        view("page", "ann", at, properties={"name": "Checkout"}),  # where analytics.js puts it
        view("page", "ann", at),
        view("screen", "ann", at, name="Cart"),
        view("screen", "ann", at),
        received_at=NOW,
    )
    rows = await session.execute(select(Event.type, Event.name).order_by(Event.name))
    assert sorted(rows.all()) == [
        ("page", "Loaded a Page"),
        ("page", "Viewed Checkout Page"),
        ("page", "Viewed Docs Setup Page"),
        ("page", "Viewed Pricing Page"),
        ("screen", "Loaded a Screen"),
        ("screen", "Viewed Cart Screen"),
    ]


async def test_a_page_view_reaches_the_touchpoint_that_maps_its_name(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("look", "buy"))
    look, buy = await stages_of(session, journey)
    await make_touchpoint(session, look, event_names=("Viewed Pricing Page",))
    await make_touchpoint(session, buy, event_names=("Viewed Cart Screen",))
    await send(
        session,
        workspace,
        view("page", "ann", "2026-11-10T10:00:00Z", name="Pricing"),
        view("screen", "ann", "2026-11-11T10:00:00Z", name="Cart"),
        view("page", "bob", "2026-11-12T10:00:00Z", name="Pricing"),
        received_at=NOW,
    )
    await session.commit()
    metrics = await stage_metrics(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        start=datetime(2026, 11, 1).date(),
        end=datetime(2026, 12, 1).date(),
        as_of=NOW,
    )
    assert [(s.entered, s.converted) for s in metrics.stages] == [(2, 1), (1, None)]


async def test_group_and_alias_calls_are_acknowledged_and_not_stored(session):
    workspace = await make_workspace(session)
    result = await send(
        session,
        workspace,
        {"type": "group", "messageId": "g", "userId": "ann", "groupId": "acme"},
        {"type": "alias", "messageId": "a", "userId": "ann", "previousId": "anon-1"},
        GOOD,
        received_at=NOW,
    )
    assert [(r.message_id, r.status) for r in result.results] == [
        ("g", Status.IGNORED),
        ("a", Status.IGNORED),
        ("good", Status.ACCEPTED),
    ]
    assert "merge identities" in result.results[1].message
    assert (result.ignored, result.rejected) == (2, 0)
    assert await stored_events(session, workspace) == 1


async def test_traits_under_context_are_read_like_traits_and_traits_win(session):
    workspace = await make_workspace(session)
    busy = await make_persona(session, workspace, "Busy professional")
    await make_persona(session, workspace, "Budget-conscious shopper")
    rudderstack_style = {
        "type": "identify",
        "messageId": "r",
        "userId": "ann",
        "timestamp": "2026-11-20T10:00:00Z",
        "context": {"traits": {"persona": "Busy professional", "plan": "pro"}},
    }
    both = {
        "type": "identify",
        "messageId": "s",
        "userId": "bob",
        "timestamp": "2026-11-20T10:00:00Z",
        "context": {"traits": {"persona": "Budget-conscious shopper", "plan": "free"}},
        "traits": {"persona": "Busy professional"},
    }
    await send(session, workspace, rudderstack_style, both, received_at=NOW)
    await fold.catch_up(session, workspace_id=workspace.id)
    customers = await session.execute(
        select(Customer.external_id, Customer.persona_id).order_by(Customer.external_id)
    )
    assert customers.all() == [("ann", busy.id), ("bob", busy.id)]
    data = await session.scalars(select(Event.data).order_by(Event.message_id))
    assert list(data) == [
        {"persona": "Busy professional", "plan": "pro"},
        {"persona": "Busy professional", "plan": "free"},
    ]
