import base64
import uuid

import httpx
import pytest

from infrastructure.settings import Settings
from journeyops.web import create_app


@pytest.fixture
async def client(database_url):
    app = create_app(Settings(), database_url=database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client
    await app.state.runtime.close()


def global_id(type_name: str, id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{id}".encode()).decode()


async def test_a_journey_uuid_serves_the_map_page_for_its_global_id(client):
    journey_id = uuid.uuid4()
    response = await client.get(f"/journeys/{journey_id}")
    assert response.status_code == 200
    assert f'data-journey-id="{global_id("Journey", journey_id)}"' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_a_journey_global_id_is_accepted_as_it_is(client):
    gid = global_id("Journey", uuid.uuid4())
    response = await client.get(f"/journeys/{gid}")
    assert f'data-journey-id="{gid}"' in response.text


@pytest.mark.parametrize("raw", ["nonsense", global_id("Stage", uuid.uuid4()), "%3Cscript%3E"])
async def test_anything_else_is_not_a_journey_address(client, raw):
    response = await client.get(f"/journeys/{raw}")
    assert response.status_code == 404
    assert "<script" not in response.text


async def test_the_list_of_journeys_is_served_under_the_same_policy(client):
    response = await client.get("/journeys")
    assert response.status_code == 200
    assert '<table id="journeys"' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe" not in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "script",
    ["page.js", "journey_map.js", "journey_map_edit.js", "journey_map_actions.js", "journeys.js"],
)
async def test_the_page_scripts_insert_user_text_only_as_text(client, script):
    served = await client.get(f"/static/{script}")
    assert served.status_code == 200
    assert "innerHTML" not in served.text.replace("never innerHTML", "")
