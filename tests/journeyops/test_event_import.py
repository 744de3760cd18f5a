"""`journeyops import FILE`: CSV and JSON lines through the ingestion use case."""

import asyncio
import json

from sqlalchemy import func, select

from domain.event.models import Event
from tests.support.cli import run
from tests.support.factories import make_workspace


async def events_named(session, name: str) -> int:
    return await session.scalar(select(func.count()).select_from(Event).where(Event.name == name))


async def test_a_csv_file_is_imported_and_bad_lines_are_reported_by_number(
    monkeypatch, database_url, db, tmp_path
):
    async with db.begin() as session:
        await make_workspace(session, "Acme import")
    path = tmp_path / "events.csv"
    path.write_text(
        "messageId,userId,event,timestamp,plan,properties\n"
        'm1,ann,Signed Up,2026-11-20T10:00:00Z,pro,"{""source"": ""ad""}"\n'
        "m2,bob,Signed Up,yesterday,free,\n"
        "m3,,Signed Up,2026-11-20T10:00:00Z,free,\n"
        "m1,ann,Signed Up,2026-11-20T10:00:00Z,pro,\n"
        "m4,cid,Signed Up,2026-11-20T11:00:00Z,free,{oops\n"
    )
    result = await asyncio.to_thread(
        run, monkeypatch, database_url, "import", str(path), "--workspace", "Acme import"
    )
    assert result.exit_code == 1, result.output
    assert "line 3: invalid_timestamp" in result.stderr
    assert "line 4: missing_customer_id" in result.stderr
    assert "line 6: unreadable" in result.stderr
    assert "1 stored, 1 already there, 3 rejected" in result.stdout
    async with db() as session:
        stored = await session.scalar(select(Event.data).where(Event.message_id == "m1"))
    assert stored == {"plan": "pro", "source": "ad"}


async def test_a_json_lines_file_is_imported(monkeypatch, database_url, db, tmp_path):
    async with db.begin() as session:
        await make_workspace(session, "Acme jsonl")
    path = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"messageId": f"j{n}", "userId": "ann", "event": "Opened", "timestamp": None})
        for n in range(7)
    ]
    path.write_text("\n".join([*lines, "", "[1, 2]"]) + "\n")
    result = await asyncio.to_thread(
        run,
        monkeypatch,
        database_url,
        "import",
        str(path),
        "--workspace",
        "Acme jsonl",
        "--batch-size",
        "3",
    )
    assert "7 stored, 0 already there, 1 rejected" in result.stdout
    assert "line 9: unreadable: not a JSON object" in result.stderr
    async with db() as session:
        assert await events_named(session, "Opened") == 7


async def test_an_unknown_workspace_is_refused(monkeypatch, database_url, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("{}\n")
    result = await asyncio.to_thread(
        run, monkeypatch, database_url, "import", str(path), "--workspace", "Nobody"
    )
    assert result.exit_code == 2
    assert "No workspace" in result.stderr
