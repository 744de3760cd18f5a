"""Each entry point run as its own OS process, as the Procfile runs it: nothing here shares the
test process's imports, so a model that only the web process happens to load is caught."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from domain.alert.models import Alert
from journeyops import demo

JOURNEYOPS = str(Path(sys.executable).with_name("journeyops"))
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
# What each Procfile process imports first (the web app, the worker's jobs, the CLI).
ENTRY_MODULES = ["journeyops.web", "journeyops.jobs", "journeyops.cli", "journeyops.alerts_cli"]
# Tables that slack_sdk's own stores define, outside the domain's metadata.
SLACK_STORE_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("SLACK_BOT_TOKEN", None)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


async def _tables_in(engine) -> set[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        return {row[0] for row in rows} - {"alembic_version"} - SLACK_STORE_TABLES


@pytest.mark.parametrize("module", ENTRY_MODULES)
async def test_every_entry_point_sees_every_table_the_migrations_made(module, engine):
    probe = (
        f"import json, {module}\n"
        "from domain.base import Base\n"
        "print(json.dumps(sorted(Base.metadata.tables)))"
    )
    result = await asyncio.to_thread(_run, sys.executable, "-c", probe, database_url="")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == await _tables_in(engine)


@pytest.fixture
async def demo_without_alerts(session):
    """The demo's workspace, whose Consideration drop is there to be found by the worker."""
    await demo.load(session, now=NOW)
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Alert)) == 0
    await session.rollback()  # holds no lock on the tables the command writes


async def test_alerts_evaluate_as_its_own_process_fires_and_stores_the_alert(
    demo_without_alerts, database_url, session
):
    result = await asyncio.to_thread(
        _run, JOURNEYOPS, "alerts", "evaluate", "--at", NOW.isoformat(), database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (line["stage"], line["step"]) == ("Consideration", "fire")
    stored = await session.scalar(select(Alert).where(Alert.id == line["alert_id"]))
    assert stored is not None and stored.resolved_at is None


async def test_alerts_evaluate_exits_non_zero_when_a_rule_cannot_be_evaluated(
    demo_without_alerts, database_url, engine, session
):
    """A database that refuses the alert's insert (a trigger raising) stands in for any fault."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse_alert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'alerts refused by test'; END $$"
            )
        )
        await connection.execute(
            text("CREATE TRIGGER refuse BEFORE INSERT ON alert EXECUTE FUNCTION refuse_alert()")
        )
    try:
        result = await asyncio.to_thread(
            _run,
            JOURNEYOPS,
            "alerts",
            "evaluate",
            "--at",
            NOW.isoformat(),
            database_url=database_url,
        )
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER refuse ON alert"))
            await connection.execute(text("DROP FUNCTION refuse_alert()"))
    assert result.returncode == 1
    assert "could not be evaluated" in result.stderr
    assert await session.scalar(select(func.count()).select_from(Alert)) == 0
