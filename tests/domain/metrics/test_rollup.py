"""The daily rollups stage metrics read from: kept equal to a fresh rebuild by the triggers
whatever writes progress, rebuilt when a journey's time zone or window changes, gone with
their journey or stage, and read exactly around the evaluation time."""

import asyncio
from datetime import UTC, date, datetime

import pytest

from domain.journey import service as journey_service
from domain.metrics import daily_rollups, fold
from domain.metrics.breakdown import stage_breakdown
from domain.metrics.snapshot import snapshot
from domain.pg import connection_of
from domain.stage import service as stage_service
from domain.touchpoint import service as touchpoint_service
from tests.support.factories import (
    make_journey,
    make_touchpoint,
    make_workspace,
    send,
    stages_of,
    track,
)
from tests.support.rollups import assert_rollups_fresh
from tests.support.shop import NOVEMBER, make_shop, metrics


@pytest.fixture
async def shop(session):
    return await make_shop(session)


def look(result):
    s = result.stages[0]
    return (s.entered, s.converted, s.dropped, s.pending, s.median_time_to_convert)


async def stage_days(session, journey):
    await fold.catch_up(session, workspace_id=journey.workspace_id)
    connection = await connection_of(session)
    return sorted(
        (row["day"], row["entered"], row["converted"])
        for row in await connection.fetch(
            "SELECT day, sum(entered)::int AS entered, sum(converted)::int AS converted "
            "FROM stage_day WHERE workspace_id = $1 AND journey_id = $2 AND entered > 0 "
            "GROUP BY day",
            journey.workspace_id,
            journey.id,
        )
    )


async def test_the_rollup_equals_a_rebuild_after_ingest_late_events_and_remaps(session, shop):
    workspace, journey, touchpoints = shop
    look_stage = (await stages_of(session, journey))[0]
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T11:00:00Z"),
        track("bob", "Page Viewed", "2026-11-03T10:00:00Z"),
        track("cid", "Page Viewed", "2026-11-03T23:30:00Z"),
        track("cid", "Order Completed", "2026-11-05T23:00:00Z"),
    )
    await assert_rollups_fresh(session, journey)
    await send(  # late: ann looked earlier (new entry day), bob converts, dee arrives
        session,
        workspace,
        track("ann", "Page Viewed", "2026-11-01T09:00:00Z"),
        track("bob", "Cart Viewed", "2026-11-03T12:00:00Z"),
        track("dee", "Ad Clicked", "2026-11-04T08:00:00Z"),
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),  # a repeat of a later reach
    )
    await assert_rollups_fresh(session, journey)
    await touchpoint_service.update(  # carts now also count as looking
        session,
        workspace_id=workspace.id,
        touchpoint_id=touchpoints["cart"].id,
        stage_id=look_stage.id,
    )
    await assert_rollups_fresh(session, journey)
    await touchpoint_service.delete(
        session, workspace_id=workspace.id, touchpoint_id=touchpoints["web"].id
    )
    await assert_rollups_fresh(session, journey)
    await touchpoint_service.update(
        session,
        workspace_id=workspace.id,
        touchpoint_id=touchpoints["ad"].id,
        event_names=("Ad Clicked", "Page Viewed"),
    )
    await assert_rollups_fresh(session, journey)
    result = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert [s.entered for s in result.stages] == [4, 0, 1]


async def test_a_time_zone_or_window_change_counts_the_days_again(session, shop):
    workspace, journey, _ = shop
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T20:00:00Z"),  # 3 Nov in Kathmandu (+05:45)
        track("ann", "Cart Viewed", "2026-11-04T10:00:00Z"),  # 38 hours later
        track("bob", "Ad Clicked", "2026-11-03T10:00:00Z"),
    )
    assert await stage_days(session, journey) == [
        (date(2026, 11, 2), 1, 1),
        (date(2026, 11, 3), 1, 0),
        (date(2026, 11, 4), 1, 0),
    ]
    await journey_service.update(
        session, workspace_id=workspace.id, journey_id=journey.id, timezone="Asia/Kathmandu"
    )
    assert await stage_days(session, journey) == [
        (date(2026, 11, 3), 2, 1),
        (date(2026, 11, 4), 1, 0),
    ]
    await journey_service.update(
        session, workspace_id=workspace.id, journey_id=journey.id, conversion_window_days=1
    )
    assert await stage_days(session, journey) == [
        (date(2026, 11, 3), 2, 0),
        (date(2026, 11, 4), 1, 0),
    ]
    await assert_rollups_fresh(session, journey)
    assert look(await metrics(session, journey)) == (2, 0, 2, 0, None)


async def test_removing_a_stage_or_the_journey_takes_its_rollup_rows(session, shop):
    workspace, journey, _ = shop
    _, cart_stage, buy_stage = await stages_of(session, journey)
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T11:00:00Z"),
        track("ann", "Order Completed", "2026-11-02T12:00:00Z"),
    )
    await stage_service.remove(
        session,
        workspace_id=workspace.id,
        stage_id=cart_stage.id,
        move_to_stage_id=buy_stage.id,
    )
    await assert_rollups_fresh(session, journey)
    connection = await connection_of(session)
    assert not await connection.fetchval(
        "SELECT count(*) FROM stage_day WHERE workspace_id = $1 AND stage_id = $2",
        workspace.id,
        cart_stage.id,
    )
    await journey_service.delete(session, workspace_id=workspace.id, journey_id=journey.id)
    for table in ("stage_day", "touchpoint_day", "stage_progress"):
        assert not await connection.fetchval(
            f"SELECT count(*) FROM {table} WHERE workspace_id = $1 AND journey_id = $2",
            workspace.id,
            journey.id,
        ), table


async def test_entries_on_the_day_holding_the_cutoff_drop_only_once_their_window_closed(
    session, shop
):
    workspace, journey, _ = shop
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T08:00:00Z"),  # window closes 4 Nov 08:00
        track("bob", "Ad Clicked", "2026-11-02T16:00:00Z"),  # … 4 Nov 16:00
        track("cid", "Ad Clicked", "2026-11-02T09:00:00Z"),
        track("cid", "Cart Viewed", "2026-11-02T09:30:00Z"),
        track("dee", "Ad Clicked", "2026-11-01T12:00:00Z"),  # a whole day before the cutoff
    )
    as_of = datetime(2026, 11, 4, 12, tzinfo=UTC)  # cutoff 2 Nov 12:00
    assert look(await metrics(session, journey, as_of=as_of)) == (4, 1, 2, 1, 1800.0)


async def test_what_the_rollup_counted_after_the_evaluation_time_is_taken_back(session, shop):
    workspace, journey, _ = shop
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-02T08:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-02T20:00:00Z"),  # after the evaluation time
        track("bob", "Ad Clicked", "2026-11-02T09:00:00Z"),
        track("bob", "Cart Viewed", "2026-11-02T10:00:00Z"),
        track("cid", "Ad Clicked", "2026-11-02T13:00:00Z"),  # enters after it
        track("cid", "Cart Viewed", "2026-11-02T14:00:00Z"),
        track("dee", "Ad Clicked", "2026-11-03T08:00:00Z"),  # a day after it
    )
    as_of = datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert look(await metrics(session, journey, as_of=as_of)) == (2, 1, 0, 1, 3600.0)
    result = await metrics(session, journey, as_of=as_of)
    assert {r.customers for r in result.reach if r.customers} == {2, 1}
    later = await metrics(session, journey, as_of=datetime(2026, 11, 10, tzinfo=UTC))
    assert look(later) == (4, 3, 1, 0, 3600.0)


async def test_concurrent_batches_keep_the_rollup_right(db):
    async with db.begin() as session:
        workspace = await make_workspace(session)
        journey = await make_journey(session, workspace, stages=("look", "buy"))
        look, buy = await stages_of(session, journey)
        await make_touchpoint(session, look, event_names=("Ad Clicked",))
        await make_touchpoint(session, buy, event_names=("Order Completed",))

    async def batch(first: int) -> None:
        async with db.begin() as session:
            await send(
                session,
                workspace,
                *(
                    event
                    for n in range(first, first + 40)
                    for event in (
                        track(f"c{n}", "Ad Clicked", f"2026-11-0{1 + n % 3}T10:00:00Z"),
                        track(f"c{n}", "Order Completed", f"2026-11-0{1 + n % 3}T1{n % 7}:00:00Z"),
                    )
                ),
            )

    await asyncio.gather(*(batch(first) for first in range(0, 200, 40)))
    async with db() as session:
        await assert_rollups_fresh(session, journey)
        result = await metrics(session, journey, as_of=datetime(2026, 11, 20, tzinfo=UTC))
        assert (result.stages[0].entered, result.stages[0].converted) == (200, 200)


async def test_a_fold_committed_between_the_statements_of_a_reading_changes_none_of_them(
    db, monkeypatch
):
    async with db.begin() as session:
        workspace, journey, _ = await make_shop(session)
        await send(
            session,
            workspace,
            track("ann", "Ad Clicked", "2026-11-02T08:00:00Z"),
            track("ann", "Cart Viewed", "2026-11-02T09:00:00Z"),
            track("bob", "Page Viewed", "2026-11-02T08:00:00Z"),
        )
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    percentiles = daily_rollups.percentiles
    landed = []

    async def after_a_concurrent_fold(*args, **kwargs):
        """Between the reading of the rollup cells and that of the ranks, cid converts 2 s
        faster than ann (the same duration bucket: a rank lookup that saw cid would answer
        3598 s), dee in 3 hours, and the fold commits them."""
        if not landed:
            async with db.begin() as other:
                await send(
                    other,
                    workspace,
                    track("cid", "Ad Clicked", "2026-11-03T08:00:00Z"),
                    track("cid", "Cart Viewed", "2026-11-03T08:59:58Z"),
                    track("dee", "Ad Clicked", "2026-11-03T08:00:00Z"),
                    track("dee", "Cart Viewed", "2026-11-03T11:00:00Z"),
                )
                await fold.catch_up(other, workspace_id=workspace.id)
            landed.append(True)
        return await percentiles(*args, **kwargs)

    monkeypatch.setattr(daily_rollups, "percentiles", after_a_concurrent_fold)
    async with db() as session:
        assert look(await metrics(session, journey, as_of=as_of)) == (2, 1, 1, 0, 3600.0)
        assert landed
        by_channel = await stage_breakdown(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            start=NOVEMBER[0],
            end=NOVEMBER[1],
            by="channel",
            as_of=as_of,
        )
        assert {s.key: s.stages[0].entered for s in by_channel} == {"ad": 3, "web": 1}
        assert look(await metrics(session, journey, as_of=as_of)) == (4, 3, 1, 0, 3600.0)


async def test_a_reading_is_one_read_only_snapshot_of_what_was_committed(db):
    async with db.begin() as session:
        workspace, _, _ = await make_shop(session)
        await send(session, workspace, track("ann", "Ad Clicked", "2026-11-02T08:00:00Z"))
    async with db() as session, snapshot(session, workspace_id=workspace.id) as reading:
        connection = await connection_of(reading)
        assert await connection.fetchrow(
            "SELECT current_setting('transaction_isolation') AS isolation, "
            "current_setting('transaction_read_only') AS read_only, "
            "(SELECT count(*) FROM pending_batch WHERE workspace_id = $1) AS pending",
            workspace.id,
        ) == ("repeatable read", "on", 0)
