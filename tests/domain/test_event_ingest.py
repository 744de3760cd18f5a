"""Ingestion: per-event answers, idempotency, personas, partitions, unmapped events."""

from datetime import UTC, datetime

from sqlalchemy import func, select, text

from domain.customer.models import Customer
from domain.event.message import EVENT_BYTES_MAX, Reason
from domain.event.models import Event
from domain.event.service import Status
from domain.metrics import fold
from domain.metrics import service as metrics_service
from tests.factories import (
    identify,
    make_journey,
    make_persona,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)

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


async def test_a_message_id_seen_before_is_acknowledged_and_not_stored_again(session):
    workspace = await make_workspace(session)
    first = track("ann", "Product Viewed", "2026-11-20T10:00:00Z", message_id="m-1")
    again = {**first, "event": "Something Else"}
    result = await send(session, workspace, first, again, received_at=NOW)
    retry = await send(session, workspace, first, received_at=NOW)

    assert [r.status for r in result.results] == [Status.ACCEPTED, Status.DUPLICATE]
    assert [r.status for r in retry.results] == [Status.DUPLICATE]
    assert await stored_events(session, workspace) == 1


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
    unmapped = await metrics_service.unmapped_events(session, workspace_id=workspace.id)
    assert [(u.name, u.events) for u in unmapped] == [("Order Completed", 2)]

    await make_touchpoint(session, buy, event_names=("Order Completed",))

    assert await metrics_service.unmapped_events(session, workspace_id=workspace.id) == []
    metrics = await metrics_service.stage_metrics(
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
