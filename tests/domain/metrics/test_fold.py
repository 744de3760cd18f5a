"""The fold: pending batches taken into metrics after ingest, once each, whoever folds."""

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text

from domain.customer import service as customer_service
from domain.event import synthetic
from domain.event.service import Status
from domain.metrics import fold
from domain.metrics.stage_metrics import stage_metrics
from domain.persona import service as persona_service
from domain.pg import connection_of
from infrastructure.folding import fold_pending
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

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))
EVENTS = (("Ad Clicked", "Page Viewed"), ("Cart Viewed",), ("Order Completed", "Review Written"))


async def make_shop(session, personas=("p0", "p1")):
    workspace = await make_workspace(session)
    for name in personas:
        await make_persona(session, workspace, name)
    journey = await make_journey(session, workspace, stages=("look", "cart", "buy"))
    for stage, names in zip(await stages_of(session, journey), EVENTS, strict=True):
        for name in names:
            await make_touchpoint(session, stage, name=name, event_names=(name,))
    return workspace, journey


def shuffled_batches(seed: int, size: int = 40) -> list[list[dict]]:
    """Synthetic events with personas, shuffled (late and out-of-order arrivals) and cut into
    batches, with some sent twice."""
    plan = synthetic.Plan(
        EVENTS,
        customers=60,
        start=NOW - timedelta(days=20),
        days=18,
        seed=seed,
        personas=("p0", "p1"),
    )
    events = list(synthetic.events(plan))
    rng = random.Random(seed)
    rng.shuffle(events)
    events += rng.sample(events, 10)
    return [events[i : i + size] for i in range(0, len(events), size)]


async def derived_state(session, workspace_id) -> dict[str, list]:
    """Everything the fold writes, with customers named by their external ids."""
    connection = await connection_of(session)
    queries = {
        "customer": """SELECT external_id, persona_id, earlier_persona_id, persona_set_at,
                              persona_message_id, earlier_persona_set_at, last_seen_at
                       FROM customer WHERE workspace_id = $1""",
        "persona": """SELECT c.external_id, h.set_at, h.message_id, h.persona_id
                      FROM customer_persona h JOIN customer c
                        ON c.workspace_id = h.workspace_id AND c.id = h.customer_id
                      WHERE h.workspace_id = $1""",
        "progress": """SELECT c.external_id, s.name, p.entered_at, t.name AS entry,
                              p.last_reached_at, p.converted_at
                       FROM stage_progress p
                       JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id
                       JOIN stage s ON s.workspace_id = p.workspace_id AND s.id = p.stage_id
                       JOIN touchpoint t
                         ON t.workspace_id = p.workspace_id AND t.id = p.entry_touchpoint_id
                       WHERE p.workspace_id = $1""",
        "reach": """SELECT c.external_id, t.name, r.first_reached_at FROM touchpoint_reach r
                    JOIN customer c ON c.workspace_id = r.workspace_id AND c.id = r.customer_id
                    JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
                    WHERE r.workspace_id = $1""",
        "names": """SELECT name, events, last_received_at FROM event_name_count
                    WHERE workspace_id = $1""",
    }
    state = {}
    for key, sql in queries.items():
        rows = [tuple(row.values()) for row in await connection.fetch(sql, workspace_id)]
        state[key] = sorted(rows, key=repr)
    return state


async def pending(session, workspace_id) -> int:
    return await session.scalar(
        text("SELECT count(*) FROM pending_batch WHERE workspace_id = :w"), {"w": workspace_id}
    )


def persona_names(state, ids):
    """Persona ids differ between workspaces; compare by name."""
    rename = {value: key for key, value in ids.items()}
    state["customer"] = [
        (e, rename.get(p), rename.get(earlier), *rest) for e, p, earlier, *rest in state["customer"]
    ]
    state["persona"] = [(*rest, rename.get(p)) for *rest, p in state["persona"]]
    return state


async def test_folding_many_batches_at_once_equals_folding_them_one_by_one(session):
    batches = shuffled_batches(seed=3)
    states = []
    for per_fold in (len(batches), 1):
        workspace, _ = await make_shop(session)
        for number, batch in enumerate(batches):
            await send(session, workspace, *batch, received_at=NOW + timedelta(minutes=number))
        assert await pending(session, workspace.id) == len(batches)
        connection = await connection_of(session)
        while await fold.fold(connection, workspace_id=workspace.id, batches=per_fold):
            pass
        assert await pending(session, workspace.id) == 0
        ids = dict(
            (
                await session.execute(
                    text("SELECT id, name FROM persona WHERE workspace_id = :w"),
                    {"w": workspace.id},
                )
            ).all()
        )
        states.append(persona_names(await derived_state(session, workspace.id), ids))
    assert states[0]["progress"] and states[0]["persona"]
    assert states[0] == states[1]


async def test_the_customer_keeps_the_persona_before_the_latest_late_identifies_included(
    session,
):
    workspace, _ = await make_shop(session, personas=("p0", "p1", "p2"))
    ids = dict(
        (
            await session.execute(
                text("SELECT name, id FROM persona WHERE workspace_id = :w"), {"w": workspace.id}
            )
        ).all()
    )

    async def after(*events) -> tuple:
        if events:
            await send(session, workspace, *events)
        await fold.catch_up(session, workspace_id=workspace.id)
        row = (
            await session.execute(
                text(
                    "SELECT persona_id, earlier_persona_id, earlier_persona_set_at FROM customer "
                    "WHERE workspace_id = :w"
                ),
                {"w": workspace.id},
            )
        ).one()
        return tuple(row)

    first = datetime(2026, 11, 1, tzinfo=UTC)
    at = {day: (first + timedelta(days=day)).isoformat() for day in range(1, 6)}
    # the first identify: nothing before it
    assert await after(identify("ann", at[1], persona="p0")) == (ids["p0"], None, None)
    # a later one: the first becomes the earlier
    assert await after(identify("ann", at[4], persona="p1")) == (
        ids["p1"],
        ids["p0"],
        first + timedelta(days=1),
    )
    # a late one between the two: the latest stays, the late one is now the one before it
    assert await after(identify("ann", at[3], persona="p2")) == (
        ids["p1"],
        ids["p2"],
        first + timedelta(days=3),
    )
    # an identify clearing the persona counts as an entry: the latest before it had p1
    assert await after(identify("ann", at[5], persona=None)) == (
        None,
        ids["p1"],
        first + timedelta(days=4),
    )
    # deleting the persona of the earlier entry leaves it with none, as the history does
    await persona_service.delete(session, workspace_id=workspace.id, persona_id=ids["p1"])
    assert await after() == (None, None, first + timedelta(days=4))


async def test_a_reader_sees_events_committed_just_before(db):
    async with db.begin() as session:
        workspace, journey = await make_shop(session)
    async with db.begin() as session:
        await send(
            session,
            workspace,
            track("ann", "Ad Clicked", "2026-11-10T10:00:00Z"),
            track("ann", "Cart Viewed", "2026-11-10T11:00:00Z"),
            track("bob", "Page Viewed", "2026-11-11T10:00:00Z"),
            received_at=NOW,
        )
    async with db.begin() as session:
        metrics = await stage_metrics(
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            start=NOVEMBER[0],
            end=NOVEMBER[1],
            as_of=NOW,
        )
        assert [s.entered for s in metrics.stages] == [2, 1, 0]
        assert metrics.stages[0].converted == 1
    async with db() as session:
        assert await pending(session, workspace.id) == 0  # the reader's fold was committed


async def test_batches_survive_a_fold_that_never_commits_and_a_later_fold_takes_them(db):
    async with db.begin() as session:
        workspace, _ = await make_shop(session)
    async with db.begin() as session:
        await send(session, workspace, track("ann", "Ad Clicked", "2026-11-10T10:00:00Z"))
    async with db() as session:  # a folder that dies before committing
        assert await fold.fold_some(session, workspace_id=workspace.id) == 1
        await session.rollback()
    async with db() as session:
        assert await pending(session, workspace.id) == 1
    assert await fold_pending(db) == 1  # the worker's safety net
    async with db() as session:
        assert await pending(session, workspace.id) == 0
        count = await session.scalar(
            text("SELECT count(*) FROM stage_progress WHERE workspace_id = :w"),
            {"w": workspace.id},
        )
        assert count == 1


async def test_two_folders_at_once_fold_each_batch_exactly_once(db):
    async with db.begin() as session:
        workspace, _ = await make_shop(session)
    batches = shuffled_batches(seed=5, size=20)
    for batch in batches:
        async with db.begin() as session:
            await send(session, workspace, *batch, received_at=NOW)

    async def reader() -> None:
        async with db.begin() as session:
            await fold.catch_up(session, workspace_id=workspace.id)

    async def background() -> None:
        while True:
            async with db.begin() as session:
                folded = await fold.fold_some(session, workspace_id=workspace.id, batches=2)
            if folded == 0:
                return
            await asyncio.sleep(0)

    await asyncio.gather(background(), reader(), background(), reader())
    async with db() as session:
        assert await pending(session, workspace.id) == 0
        counted = await session.scalar(
            text("SELECT sum(events) FROM event_name_count WHERE workspace_id = :w"),
            {"w": workspace.id},
        )
        stored = await session.scalar(
            text("SELECT count(*) FROM event WHERE workspace_id = :w AND type = 'track'"),
            {"w": workspace.id},
        )
        assert counted == stored > 0


async def test_a_message_id_is_a_duplicate_in_a_later_batch_before_and_after_folding(db):
    async with db.begin() as session:
        workspace, _ = await make_shop(session)
    first = track("ann", "Ad Clicked", "2026-11-10T10:00:00Z", message_id="m-1")
    async with db.begin() as session:
        assert (await send(session, workspace, first)).results[0].status is Status.ACCEPTED
    async with db.begin() as session:  # not folded yet
        again = await send(session, workspace, {**first, "event": "Cart Viewed"})
        assert again.results[0].status is Status.DUPLICATE
    await fold_pending(db)
    async with db.begin() as session:
        again = await send(session, workspace, first)
        assert again.results[0].status is Status.DUPLICATE
        assert await pending(session, workspace.id) == 0


async def test_customer_ids_are_derived_from_workspace_and_external_id(session):
    workspace, _ = await make_shop(session)
    await send(session, workspace, identify("ann", "2026-11-10T10:00:00Z", persona="p0"))
    await fold.catch_up(session, workspace_id=workspace.id)
    sql = (
        "SELECT id, customer_uuid(workspace_id, external_id) FROM customer WHERE workspace_id = :w"
    )
    ((stored, in_sql),) = (await session.execute(text(sql), {"w": workspace.id})).all()
    assert stored == in_sql == customer_service.customer_id(workspace.id, "ann")


async def test_a_persona_deleted_before_the_fold_leaves_the_customer_without_one(session):
    workspace, _ = await make_shop(session, personas=())
    gone = await make_persona(session, workspace, "Gone")
    await send(session, workspace, identify("ann", "2026-11-10T10:00:00Z", persona="Gone"))
    await persona_service.delete(session, workspace_id=workspace.id, persona_id=gone.id)
    await fold.catch_up(session, workspace_id=workspace.id)
    state = await derived_state(session, workspace.id)
    assert [row[:2] for row in state["customer"]] == [("ann", None)]
    assert [row[3] for row in state["persona"]] == [None]


async def test_deleting_a_persona_waits_for_a_fold_at_work_and_leaves_nothing_naming_it(db):
    """No foreign key guards the persona columns (migration 0024): deleting a persona holds the
    workspace's fold lock, so it waits for a fold at work, and folds what is pending first."""
    async with db.begin() as session:
        workspace, _ = await make_shop(session, personas=())
        gone = await make_persona(session, workspace, "Gone")
    async with db.begin() as session:
        await send(session, workspace, identify("ann", "2026-11-10T10:00:00Z", persona="Gone"))
    async with db.begin() as folding:
        await fold.catch_up(folding, workspace_id=workspace.id, lock=True)  # a fold at work
        async with db.begin() as deleting:
            await deleting.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(asyncpg.LockNotAvailableError):
                await persona_service.delete(
                    deleting, workspace_id=workspace.id, persona_id=gone.id
                )
    async with db.begin() as session:
        await send(session, workspace, identify("bob", "2026-11-10T11:00:00Z", persona="Gone"))
    async with db.begin() as session:  # the fold has let go; bob's identify waits unfolded
        await persona_service.delete(session, workspace_id=workspace.id, persona_id=gone.id)
    async with db.begin() as session:
        state = await derived_state(session, workspace.id)
        named = await session.scalar(
            text(
                "SELECT count(*) FROM customer_persona WHERE workspace_id = :w "
                "AND persona_id IS NOT NULL"
            ),
            {"w": workspace.id},
        )
        pending = await fold.has_pending(await connection_of(session), workspace.id)
    assert sorted(row[:2] for row in state["customer"]) == [("ann", None), ("bob", None)]
    assert named == 0
    assert not pending


async def test_progress_and_reach_go_with_their_touchpoint_and_journey(session):
    from domain.journey import service as journey_service
    from domain.touchpoint import service as touchpoint_service

    workspace, journey = await make_shop(session)
    await send(
        session,
        workspace,
        track("ann", "Ad Clicked", "2026-11-10T10:00:00Z"),
        track("ann", "Cart Viewed", "2026-11-10T11:00:00Z"),
    )
    await fold.catch_up(session, workspace_id=workspace.id)

    async def rows(table):
        return await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE workspace_id = :w"), {"w": workspace.id}
        )

    assert (await rows("stage_progress"), await rows("touchpoint_reach")) == (2, 2)
    ad = await session.scalar(
        text("SELECT id FROM touchpoint WHERE workspace_id = :w AND name = 'Ad Clicked'"),
        {"w": workspace.id},
    )
    await touchpoint_service.delete(session, workspace_id=workspace.id, touchpoint_id=ad)
    assert (await rows("stage_progress"), await rows("touchpoint_reach")) == (1, 1)
    await journey_service.delete(session, workspace_id=workspace.id, journey_id=journey.id)
    assert (await rows("stage_progress"), await rows("touchpoint_reach")) == (0, 0)


async def test_deleting_a_workspace_deletes_its_customers_and_their_personas(session):
    from domain.workspace.models import Workspace

    workspace, _ = await make_shop(session)
    other, _ = await make_shop(session)
    for shop in (workspace, other):
        await send(session, shop, identify("ann", "2026-11-10T10:00:00Z", persona="p0"))
        await fold.catch_up(session, workspace_id=shop.id)

    async def customers(table):
        return (
            await session.execute(
                text(
                    f"SELECT workspace_id, count(*) FROM {table} "
                    "WHERE workspace_id IN (:a, :b) GROUP BY 1"
                ),
                {"a": workspace.id, "b": other.id},
            )
        ).all()

    await session.delete(await session.get(Workspace, workspace.id))
    await session.flush()
    assert await customers("customer") == [(other.id, 1)]
    assert await customers("customer_persona") == [(other.id, 1)]


async def test_a_reach_stored_without_progress_is_merged_not_duplicated(session):
    """Reach is copied in without looking for stored rows when the customer has no progress in
    the journey; a row there after all (never written so by the fold) is still merged."""
    workspace, _ = await make_shop(session)
    ann = customer_service.customer_id(workspace.id, "ann")
    earlier, later = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC)
    for ad_at, cart_at in ((earlier, later), (later, earlier)):
        await session.execute(
            text(
                "INSERT INTO touchpoint_reach (workspace_id, touchpoint_id, customer_id, "
                "first_reached_at) SELECT workspace_id, id, :c, :at FROM touchpoint "
                "WHERE workspace_id = :w AND name = 'Ad Clicked'"
            ),
            {"w": workspace.id, "c": ann, "at": ad_at},
        )
        await send(
            session,
            workspace,
            track("ann", "Ad Clicked", "2026-11-10T10:00:00Z"),
            track("ann", "Cart Viewed", cart_at.isoformat()),
        )
        await fold.catch_up(session, workspace_id=workspace.id)
        reach = (
            await session.execute(
                text(
                    "SELECT t.name, r.first_reached_at FROM touchpoint_reach r JOIN touchpoint t "
                    "ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id "
                    "WHERE r.workspace_id = :w ORDER BY 1"
                ),
                {"w": workspace.id},
            )
        ).all()
        assert reach == [
            ("Ad Clicked", min(ad_at, datetime(2026, 11, 10, 10, tzinfo=UTC))),
            ("Cart Viewed", cart_at),
        ]
        progress = await session.scalar(
            text("SELECT count(*) FROM stage_progress WHERE workspace_id = :w"),
            {"w": workspace.id},
        )
        assert progress == 2
        await session.execute(
            text("DELETE FROM touchpoint_reach WHERE workspace_id = :w"), {"w": workspace.id}
        )
        await session.execute(
            text("DELETE FROM stage_progress WHERE workspace_id = :w"), {"w": workspace.id}
        )
