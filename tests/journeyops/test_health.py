import asyncio

import httpx
from sqlalchemy import text

from infrastructure.settings import Settings
from journeyops import migrations
from journeyops.migrations import head_revision
from journeyops.web import create_app


async def test_healthz_reports_the_database_and_schema_revision(database_url):
    app = create_app(Settings(), database_url=database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/healthz")
    await app.state.runtime.close()
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "schemaRevision": head_revision(),
    }


async def test_healthz_says_when_migrations_are_pending(database_url):
    from tests.support.database import create_database, drop_database

    url = await create_database(database_url)
    await asyncio.to_thread(migrations.upgrade, url, "0001")
    app = create_app(Settings(), database_url=url)
    try:
        async with app.state.runtime.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            response = await client.get("/healthz")
    finally:
        await app.state.runtime.close()
        await drop_database(url)
    assert response.status_code == 503
    assert response.json()["database"] == "schema outdated: run `journeyops migrate`"
    assert response.json()["expectedRevision"] == head_revision()


async def test_healthz_says_unhealthy_when_the_database_is_unreachable():
    app = create_app(Settings(), database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/healthz")
    await app.state.runtime.close()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "database": "unreachable",
        "error": "ConnectionRefusedError",
    }
