"""Alembic is the only way the schema changes: the models and the migrations must agree."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.installations import installation_metadata
from domain.models import Base
from journeyops import migrations


async def test_models_and_migrations_agree(engine):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, [Base.metadata, installation_metadata])

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == [], f"models differ from migrations; run alembic revision --autogenerate: {diff}"


# Everything a migration can make, each as (kind, name, definition), in a stable order.
SCHEMA = """
    SELECT 'column', table_schema || '.' || table_name || '.' || column_name,
           concat_ws(' ', data_type, character_maximum_length, is_nullable, column_default)
    FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'constraint', conrelid::regclass || '.' || conname, pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace::regnamespace::text NOT LIKE 'pg_%'
      AND connamespace::regnamespace::text <> 'information_schema'
    UNION ALL
    SELECT 'index', schemaname || '.' || indexname, indexdef
    FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
    UNION ALL
    SELECT 'trigger', tgrelid::regclass || '.' || tgname, pg_get_triggerdef(oid)
    FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'view', schemaname || '.' || viewname, definition
    FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'revision', version_num, '' FROM alembic_version
    ORDER BY 1, 2, 3
"""


async def schema_of(engine) -> list[tuple[str, str, str]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(SCHEMA))]


async def test_migrations_run_twice_without_change(database_url, engine):
    before = await schema_of(engine)

    await asyncio.to_thread(migrations.upgrade, database_url)  # already at head: a no-op

    assert await schema_of(engine) == before
    revisions = [name for kind, name, _ in before if kind == "revision"]
    assert revisions == [migrations.head_revision()]
    made = {kind for kind, _, _ in before}
    assert made >= {"column", "constraint", "index", "function", "trigger"}  # the query sees them
