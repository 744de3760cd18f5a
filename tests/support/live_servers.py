"""Real servers for subscription tests: each uvicorn server has its own app (own engine, own
LISTEN connection) on its own port, so two of them share only the database."""

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass

import uvicorn
from websockets.asyncio.client import connect

from infrastructure.live import LiveListener
from infrastructure.settings import Settings
from journeyops.web import create_app


@dataclass
class Served:
    address: str
    live: LiveListener


@contextlib.asynccontextmanager
async def serving(database_url: str, settings: Settings | None = None):
    """A uvicorn server with its own app (on `settings`, default the environment's) on a free
    port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_app(settings or Settings(), database_url=database_url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Served(f"127.0.0.1:{sock.getsockname()[1]}", app.state.runtime.live)
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def subscribed(address: str, token: str | None, query: str, variables: dict):
    """A graphql-transport-ws connection with one subscription started."""
    async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            )
        )
        yield ws


async def next_message(ws, timeout: float) -> dict | None:
    try:
        return json.loads(await asyncio.wait_for(ws.recv(), timeout))
    except TimeoutError:
        return None
