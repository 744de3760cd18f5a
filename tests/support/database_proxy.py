"""A TCP relay between an app and the test PostgreSQL that a test can cut and restore: a real
outage (established connections dropped, the port refusing new ones) without mocks."""

import asyncio
import contextlib
import socket

from sqlalchemy.engine import make_url


class DatabaseProxy:
    def __init__(self, database_url: str) -> None:
        self._url = make_url(database_url)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        with socket.socket() as probe:  # a free port of our own, kept across cut and restore
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        """The database URL with the relay in front of the server, without TLS: asyncpg leaves
        the future of a TLS negotiation that a cut interrupts unretrieved, and asyncio logs it
        as an error whenever it is collected, in whichever test runs then."""
        query = {k: v for k, v in self._url.query.items() if k != "host"} | {"ssl": "disable"}
        relayed = self._url.set(host="127.0.0.1", port=self.port, query=query)
        return relayed.render_as_string(hide_password=False)

    async def __aenter__(self) -> "DatabaseProxy":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            await self.cut()

    async def start(self) -> None:
        """Relay (again): the port accepts connections, as a server that came back does."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Drop every relayed connection and refuse new ones, as a stopped server does."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        socket_dir = self._url.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):  # the embedded server
            path = f"{socket_dir}/.s.PGSQL.{self._url.port or 5432}"
            return await asyncio.open_unix_connection(path)
        return await asyncio.open_connection(self._url.host, self._url.port or 5432)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await self._open_upstream()
        self._connections |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._connections -= {writer, upstream_writer}
            for end in (writer, upstream_writer):
                end.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()
