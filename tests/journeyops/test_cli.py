import pytest
from typer.testing import CliRunner

from domain.auth import service as auth_service
from infrastructure.settings import get_settings
from journeyops.cli import app
from tests.support.cli import run


async def test_token_create_prints_a_working_secret_once(monkeypatch, database_url, session):
    import asyncio

    result = await asyncio.to_thread(
        run,
        monkeypatch,
        database_url,
        "token",
        "create",
        "--workspace",
        "Acme CLI",
        "--scope",
        "write",
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    token = await auth_service.authenticate(session, secret=secret)
    assert token is not None and token.scope == "write"


async def test_token_create_refuses_an_unknown_scope(monkeypatch, database_url):
    import asyncio

    result = await asyncio.to_thread(
        run, monkeypatch, database_url, "token", "create", "--workspace", "Acme", "--scope", "god"
    )
    assert result.exit_code == 2
    assert "is not one of: read, write, admin" in result.output


@pytest.mark.pure
def test_several_server_processes_need_a_shared_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "several workers need DATABASE_URL" in result.output
