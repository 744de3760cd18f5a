"""Migration 0022 gives every customer the entry of their persona history before the latest."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from domain.customer.service import customer_id
from domain.pg import connection_of
from infrastructure.database import create_engine, create_sessionmaker
from journeyops import migrations
from tests.support.database import create_database, drop_database, server_url
from tests.support.factories import make_persona, make_workspace

AT = datetime(2026, 11, 10, tzinfo=UTC)


async def test_customers_get_the_persona_before_their_latest_from_the_history():
    url = await create_database(server_url())
    try:
        await asyncio.to_thread(migrations.upgrade, url, "0021")
        engine = create_engine(url)
        async with create_sessionmaker(engine).begin() as session:
            workspace = await make_workspace(session)
            p0 = await make_persona(session, workspace, "p0")
            p1 = await make_persona(session, workspace, "p1")
            connection = await connection_of(session)
            # (customer, [(day, messageId, persona)]): the latest decides, ties by messageId
            histories = {
                "never": [],
                "once": [(1, "m1", p0.id)],
                "twice": [(1, "m1", p0.id), (5, "m2", p1.id)],
                "cleared": [(1, "m1", p0.id), (3, "m2", None), (7, "m3", p1.id)],
                "tied": [(2, "b", p1.id), (2, "a", p0.id)],
            }
            for name, history in histories.items():
                latest = max(history, default=None)
                await connection.execute(
                    "INSERT INTO customer (workspace_id, id, external_id, persona_id, "
                    "persona_set_at, persona_message_id, last_seen_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    workspace.id,
                    customer_id(workspace.id, name),
                    name,
                    latest and latest[2],
                    latest and AT + timedelta(days=latest[0]),
                    latest and latest[1],
                    AT,
                )
                for day, message_id, persona in history:
                    await connection.execute(
                        "INSERT INTO customer_persona VALUES ($1, $2, $3, $4, $5)",
                        workspace.id,
                        customer_id(workspace.id, name),
                        AT + timedelta(days=day),
                        message_id,
                        persona,
                    )
        await asyncio.to_thread(migrations.upgrade, url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT external_id, earlier_persona_id, earlier_persona_set_at FROM customer")
            )
            earlier = {name: (persona, at) for name, persona, at in rows}
        await engine.dispose()
        assert earlier == {
            "never": (None, None),
            "once": (None, None),
            "twice": (p0.id, AT + timedelta(days=1)),
            "cleared": (None, AT + timedelta(days=3)),
            "tied": (p0.id, AT + timedelta(days=2)),  # "b" is the latest of the two
        }
    finally:
        await drop_database(url)
