"""The `journeyops` command run in-process on the test database, as typer's CliRunner runs it."""

from typer.testing import CliRunner

from infrastructure.settings import get_settings
from journeyops.cli import app


def run(monkeypatch, database_url, *args):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
