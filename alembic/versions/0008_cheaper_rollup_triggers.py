"""Cheaper rollup triggers for the fold's writes (same rollups, fewer steps per row).

- touchpoint_day: each reach row found its journey's time zone through a nested loop over the
  workspace's journeys (the planner expects a handful of transition rows); the touchpoints of
  the changed workspaces, with their journey and time zone, are now gathered once and hashed.
- stage_day after INSERT: rows only added cannot cancel out, so the step that nets added and
  removed rows of an update is skipped (one sort and aggregate of every row fewer).

Replaces the trigger functions of 0006 (CREATE OR REPLACE; the triggers stay).

- customer: no foreign key to workspace, whose per-row check (a row lock on the workspace)
  was a sixth of the fold's database time; deleting a workspace deletes its customers by a
  trigger that runs before the workspace row goes (so before its personas go, which
  customers still point at).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:40:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rollups() -> ModuleType:
    """Migration 0006, whose statements this one reuses and whose functions downgrade restores."""
    path = Path(__file__).with_name("0006_stage_rollups.py")
    spec = importlib.util.spec_from_file_location("rollups_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REACH_DELTA = """
WITH zone AS MATERIALIZED (
    SELECT t.workspace_id, t.id AS touchpoint_id, t.journey_id, j.timezone
    FROM touchpoint t JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
    WHERE t.workspace_id IN (SELECT DISTINCT workspace_id FROM {changed})
)
SELECT r.workspace_id, z.journey_id, (r.first_reached_at AT TIME ZONE z.timezone)::date AS day,
       r.touchpoint_id, sum(r.sign)::int AS customers,
       max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
FROM ({source}) r
JOIN zone z ON z.workspace_id = r.workspace_id AND z.touchpoint_id = r.touchpoint_id
GROUP BY 1, 2, 3, 4
"""

# STAGE_DELTA of 0006 for added rows only: every sign is +1, so nothing nets out.
STAGE_INSERT_DELTA = """
SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
       sum(n)::int AS entered,
       coalesce(sum(n) FILTER (WHERE bucket >= 0), 0)::int AS converted,
       array_agg(bucket) FILTER (WHERE bucket >= 0) AS buckets,
       array_agg(n::int) FILTER (WHERE bucket >= 0) AS counts,
       max(latest) AS latest
FROM (
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, bucket,
           count(*) AS n, max(greatest(entered_at, converted_at)) AS latest
    FROM (
        SELECT p.workspace_id, p.journey_id, p.stage_id, p.entry_touchpoint_id,
               (p.entered_at AT TIME ZONE j.timezone)::date AS day, p.entered_at,
               CASE WHEN p.converted_at <= p.entered_at
                        + make_interval(secs => j.conversion_window_days * 86400)
                    THEN p.duration_bucket ELSE -1 END AS bucket,
               CASE WHEN p.converted_at <= p.entered_at
                        + make_interval(secs => j.conversion_window_days * 86400)
                    THEN p.converted_at END AS converted_at
        FROM new_progress p
        JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
    ) changed
    GROUP BY 1, 2, 3, 4, 5, 6
) per_bucket
GROUP BY 1, 2, 3, 4, 5
"""


def _function(rollups: ModuleType, table: str, event: str, *, faster: bool) -> str:
    """The trigger function of 0006 for this table and event, or this revision's."""
    text = rollups._trigger_function(table, event).replace(
        "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
    )
    if not faster:
        return text
    _, delta, _, _, (old, new) = rollups.TABLES[table]
    source = rollups.SOURCES[event].format(old=old, new=new)
    if table == "touchpoint_reach":
        changed = old if event == "DELETE" else new
        faster_delta = REACH_DELTA.format(changed=changed, source=source)
    elif event == "INSERT":
        faster_delta = STAGE_INSERT_DELTA
    else:
        return text
    slower_delta = delta.format(source=source)
    assert slower_delta in text
    return text.replace(slower_delta, faster_delta)


def _replace(*, faster: bool) -> None:
    rollups = _rollups()
    for table, event in rollups.TRIGGERS:
        op.execute(_function(rollups, table, event, faster=faster))


CUSTOMER_WORKSPACE_FK = "fk_customer_workspace_id_workspace"


def upgrade() -> None:
    _replace(faster=True)
    op.drop_constraint(CUSTOMER_WORKSPACE_FK, "customer", type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION forget_workspace_customers() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM customer WHERE workspace_id = OLD.id;
            RETURN OLD;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER forget_workspace_customers BEFORE DELETE ON workspace "
        "FOR EACH ROW EXECUTE FUNCTION forget_workspace_customers()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER forget_workspace_customers ON workspace")
    op.execute("DROP FUNCTION forget_workspace_customers()")
    op.execute(
        "DELETE FROM customer c "
        "WHERE NOT EXISTS (SELECT 1 FROM workspace w WHERE w.id = c.workspace_id)"
    )
    op.create_foreign_key(
        CUSTOMER_WORKSPACE_FK, "customer", "workspace", ["workspace_id"], ["id"], ondelete="CASCADE"
    )
    _replace(faster=False)
