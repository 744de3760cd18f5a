"""Alembic is the only way the schema changes: the models and the migrations must agree."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.installations import installation_metadata
from domain.models import Base


async def test_models_and_migrations_agree(engine):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, [Base.metadata, installation_metadata])

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == [], f"models differ from migrations; run alembic revision --autogenerate: {diff}"


async def test_migrations_run_twice_without_change(database_url):
    from journeyops import migrations

    await asyncio.to_thread(migrations.upgrade, database_url)  # already at head: a no-op
