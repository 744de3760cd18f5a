"""A frontend on another origin may call /graphql only when that origin is configured."""

import httpx

from infrastructure.settings import Settings
from journeyops.web import create_app

DASHBOARD = "https://dashboard.example.com"
PREFLIGHT = {
    "Origin": DASHBOARD,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def _preflight(database_url: str, settings: Settings) -> httpx.Response:
    app = create_app(settings, database_url=database_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.options("/graphql", headers=PREFLIGHT)


async def test_a_configured_origin_may_send_a_token(database_url):
    settings = Settings(JOURNEYOPS_CORS_ORIGINS=f"{DASHBOARD}/, https://other.example.com")
    response = await _preflight(database_url, settings)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


async def test_other_origins_get_no_cors_headers(database_url):
    response = await _preflight(database_url, Settings())
    assert "access-control-allow-origin" not in response.headers
