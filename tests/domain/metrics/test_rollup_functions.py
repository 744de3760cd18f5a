"""The rollup functions the database runs are the text of migrations 0010 and 0017 (per
persona), those that write an empty histogram as 0020 restates them, the trigger functions as
0023 restates them (planned at each call), and judge a conversion as
domain.metrics.definitions (docs/metrics.md) does."""

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text

from domain.metrics import definitions

VERSIONS = Path(__file__).parents[3] / "alembic" / "versions"


def migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def words(sql: str) -> str:
    return "".join(sql.split())


# Every migration that states rollup functions, in order: a later one restates some.
STATING = (
    "0010_rollup_functions_as_text",
    "0017_persona_rollups",
    "0020_histogram_bytes",
    "0023_rollup_triggers_planned_each_call",
)


def held_as_of_the_latest(name: str) -> dict[str, tuple[str, str, str]]:
    """The functions of a migration that no later one restates."""
    later = set().union(*(migration(m).FUNCTIONS for m in STATING[STATING.index(name) + 1 :]))
    return {k: v for k, v in migration(name).FUNCTIONS.items() if k not in later}


@pytest.mark.parametrize("name", STATING)
async def test_the_database_holds_the_rollup_functions_of_the_migrations(engine, name):
    functions = held_as_of_the_latest(name)
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                """
                SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
                       pg_get_function_result(p.oid) AS returns, l.lanname, p.prosrc
                FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                JOIN pg_language l ON l.oid = p.prolang
                WHERE n.nspname = 'public' AND p.proname = ANY(:names)
                """
            ),
            {"names": list(functions)},
        )
        held = {row.proname: (row.arguments, row.returns, row.lanname, row.prosrc) for row in rows}
    assert held == {
        name: (arguments, returns, "plpgsql", body)
        for name, (arguments, returns, body) in functions.items()
    }


async def test_every_trigger_joining_its_rollup_table_plans_its_statement_at_each_call(engine):
    """A statement PL/pgSQL planned once, at a connection's first call, kept scanning the whole
    rollup table for each changed cell (migration 0023); those reaching their rollup rows through
    ON CONFLICT alone may keep their plan."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                """
                SELECT p.proname, p.prosrc FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prorettype = 'trigger'::regtype
                  AND p.proname LIKE '%\\_day\\_%'
                """
            )
        )
        functions = {row.proname: row.prosrc for row in rows}
    joining = {name for name, body in functions.items() if re.search(r"UPDATE \w+_day s\b", body)}
    assert joining >= {"stage_day_insert", "stage_persona_day_delete", "touchpoint_day_delete"}
    for name in joining:
        assert "EXECUTE $statement$" in functions[name], name
        assert "IF NOT FOUND THEN" in functions[name], name


def test_the_stage_rollup_functions_judge_a_conversion_by_the_definition():
    functions = migration("0010_rollup_functions_as_text").FUNCTIONS
    within = words(definitions.converted_within("j.conversion_window_days * 86400", "p"))
    for name in ("stage_day_insert", "stage_day_update", "stage_day_delete"):
        assert words(functions[name][2]).count(within) == 2, name
    assert words(functions["journey_rollup_rebuild"][2]).count(within) == 2
    persona = migration("0017_persona_rollups").FUNCTIONS
    for name in (
        "stage_persona_day_insert",
        "stage_persona_day_update",
        "stage_persona_day_delete",
        "journey_persona_rollup_rebuild",
    ):
        assert words(persona[name][2]).count(within) == 2, name


def test_the_stored_duration_bucket_is_the_definitions():
    assert migration("0006_stage_rollups").DURATION_BUCKET == definitions.DURATION_BUCKET
