"""Migration 0007 gives customers created with random ids their derived ids, everywhere."""

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from domain.customer.service import customer_id
from domain.pg import connection_of
from infrastructure.database import create_engine, create_sessionmaker
from journeyops import migrations
from tests.support.database import create_database, drop_database, server_url
from tests.support.factories import make_journey, make_touchpoint, make_workspace, stages_of

AT = datetime(2026, 11, 10, tzinfo=UTC)
TABLES = ("customer", "event", "stage_progress", "touchpoint_reach", "customer_persona")


async def test_existing_customers_get_derived_ids_in_every_table():
    url = await create_database(server_url())
    try:
        await asyncio.to_thread(migrations.upgrade, url, "0005")
        engine = create_engine(url)
        old = uuid.uuid4()
        async with create_sessionmaker(engine).begin() as session:
            workspace = await make_workspace(session)
            journey = await make_journey(session, workspace, stages=("look", "buy"))
            look, _ = await stages_of(session, journey)
            touchpoint = await make_touchpoint(session, look, event_names=())  # no remap at 0005
            connection = await connection_of(session)
            w = workspace.id
            await connection.execute(
                "INSERT INTO customer (workspace_id, id, external_id, last_seen_at) "
                "VALUES ($1, $2, 'ann', $3)",
                w,
                old,
                AT,
            )
            await connection.execute(
                "CREATE TABLE event_partition.event_2026_11 PARTITION OF event "
                "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')"
            )
            await connection.execute(
                "INSERT INTO event (workspace_id, timestamp, message_id, customer_id, type, name, "
                "data, received_at) VALUES ($1, $2, 'm1', $3, 'track', 'Viewed', '{}', $2)",
                w,
                AT,
                old,
            )
            await connection.execute(
                "INSERT INTO stage_progress VALUES ($1, $2, $3, $4, $5, $6, $5, NULL)",
                w,
                journey.id,
                old,
                look.id,
                AT,
                touchpoint.id,
            )
            await connection.execute(
                "INSERT INTO touchpoint_reach VALUES ($1, $2, $3, $4)", w, touchpoint.id, old, AT
            )
            await connection.execute(
                "INSERT INTO customer_persona VALUES ($1, $2, $3, 'm2', NULL)", w, old, AT
            )
        await asyncio.to_thread(migrations.upgrade, url)
        derived = customer_id(workspace.id, "ann")
        async with engine.connect() as connection:
            for table in TABLES:
                column = "id" if table == "customer" else "customer_id"
                ids = (await connection.execute(text(f"SELECT {column} FROM {table}"))).scalars()
                assert list(ids) == [derived], table
        await engine.dispose()
    finally:
        await drop_database(url)
