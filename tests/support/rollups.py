"""Checks that the daily rollups (stage_day, touchpoint_day, and per persona
stage_persona_day, touchpoint_persona_day) equal a fresh rebuild, and that progress and reach
rows carry their customer's current persona."""

import struct

from domain.journey.models import Journey
from domain.metrics import fold
from domain.pg import connection_of


async def _read(connection, journey: Journey, *, persona: bool = False):
    stage_table, touchpoint_table = (
        ("stage_persona_day", "touchpoint_persona_day")
        if persona
        else ("stage_day", "touchpoint_day")
    )
    stages = {}
    for row in await connection.fetch(
        f"SELECT * FROM {stage_table} WHERE workspace_id = $1 AND journey_id = $2",
        journey.workspace_id,
        journey.id,
    ):
        stored = row["histogram"]  # little-endian int32 a bucket (migration 0020)
        histogram = list(struct.unpack(f"<{len(stored) // 4}i", stored))
        while histogram and histogram[-1] == 0:
            histogram.pop()
        key = (row["day"], row["stage_id"], row["entry_touchpoint_id"], row.get("persona_id"))
        assert row["entered"] >= row["converted"] >= 0, key
        assert all(count >= 0 for count in histogram), key
        assert sum(histogram) == row["converted"], key
        if row["entered"]:  # decrements leave rows at zero behind; a rebuild has none
            stages[key] = (row["entered"], row["converted"], histogram, row["latest"])
    reach = {}
    for row in await connection.fetch(
        f"SELECT * FROM {touchpoint_table} WHERE workspace_id = $1 AND journey_id = $2",
        journey.workspace_id,
        journey.id,
    ):
        assert row["customers"] >= 0
        if row["customers"]:
            key = (row["day"], row["touchpoint_id"], row.get("persona_id"))
            reach[key] = (row["customers"], row["latest"])
    return stages, reach


def _counts(rows):
    return {key: value[:-1] for key, value in rows.items()}


async def assert_rollups_fresh(session, journey: Journey) -> None:
    """The journey's rollups count what a rebuild from stage_progress and touchpoint_reach
    counts, and their `latest` bounds the rebuilt (exact) one from above (after the pending
    batches are folded in, as a reader would)."""
    await fold.catch_up(session, workspace_id=journey.workspace_id)
    connection = await connection_of(session)
    for table in ("stage_progress", "touchpoint_reach"):
        assert not await connection.fetchval(
            f"""SELECT count(*) FROM {table} r JOIN customer c
                ON c.workspace_id = r.workspace_id AND c.id = r.customer_id
                WHERE r.workspace_id = $1 AND r.persona_id IS DISTINCT FROM c.persona_id""",
            journey.workspace_id,
        ), f"{table} rows whose persona is not their customer's"
    for persona, rebuild in (
        (False, "journey_rollup_rebuild"),
        (True, "journey_persona_rollup_rebuild"),
    ):
        kept_stages, kept_reach = await _read(connection, journey, persona=persona)
        await connection.execute(f"SELECT {rebuild}($1, $2)", journey.workspace_id, journey.id)
        fresh_stages, fresh_reach = await _read(connection, journey, persona=persona)
        assert _counts(kept_stages) == _counts(fresh_stages), rebuild
        assert _counts(kept_reach) == _counts(fresh_reach), rebuild
        for kept, fresh in ((kept_stages, fresh_stages), (kept_reach, fresh_reach)):
            for key, value in fresh.items():
                assert kept[key][-1] >= value[-1], key
