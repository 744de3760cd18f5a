import httpx

from journeyops.settings import Settings
from journeyops.web import create_app


async def test_healthz_reports_the_database_and_schema_revision(database_url):
    app = create_app(Settings(), database_url=database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/healthz")
    await app.state.runtime.close()
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["schemaRevision"]


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
