"""Daily rollups of stage progress and touchpoint reach, kept by statement triggers.

`stage_day` counts, per journey, stage, local day of entry (in the journey's time zone) and
entry touchpoint, the entries, the conversions within the journey's window and a histogram of
their durations by `stage_progress.duration_bucket`; `touchpoint_day` counts first reaches per
touchpoint and local day. Both carry `latest`, an upper bound of every timestamp they counted,
so that a reader knows when a day's figures hold as of a time. Statement-level triggers with
transition tables keep them right whatever writes progress (ingest, recomputes, remaps,
cascades); `journey_rollup_rebuild` starts a journey's over (a time zone or window change, and
the backfill below).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with domain.metrics.models.DURATION_BUCKET.
DURATION_BUCKET = (
    "CASE WHEN converted_at IS NULL THEN NULL "
    "WHEN extract(epoch FROM converted_at - entered_at) < 1 THEN 0 "
    "ELSE 1 + floor(16 * ln(extract(epoch FROM converted_at - entered_at)::float8) "
    "/ 0.6931471805599453)::int END"
)

HISTOGRAM_APPLY = r"""
CREATE FUNCTION duration_histogram_apply(histogram int[], buckets int[], counts int[])
RETURNS int[] LANGUAGE plpgsql IMMUTABLE AS $$
-- Add sparse (bucket, count) pairs into a dense histogram (element b + 1 counts bucket b).
DECLARE
    size int := coalesce(cardinality(histogram), 0);
    i int;
BEGIN
    histogram := coalesce(histogram, '{}');
    FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP
        IF buckets[i] + 1 > size THEN
            histogram := histogram || array_fill(0, ARRAY[buckets[i] + 1 - size]);
            size := buckets[i] + 1;
        END IF;
        histogram[buckets[i] + 1] := histogram[buckets[i] + 1] + counts[i];
    END LOOP;
    RETURN histogram;
END $$
"""

HISTOGRAM_ADD = r"""
CREATE FUNCTION duration_histogram_add(a int[], b int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE AS $$
-- Two dense histograms added.
DECLARE
    i int;
BEGIN
    IF cardinality(b) > cardinality(a) THEN
        a := a || array_fill(0, ARRAY[cardinality(b) - cardinality(a)]);
    END IF;
    FOR i IN 1 .. cardinality(b) LOOP
        IF b[i] <> 0 THEN
            a[i] := a[i] + b[i];
        END IF;
    END LOOP;
    RETURN a;
END $$
"""

# The rollup delta of a set of progress rows (sign +1 added, -1 removed) per stage_day key;
# rows an update left as they count (say, only last_reached_at moved) cancel out.
STAGE_DELTA = """
SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
       sum(n)::int AS entered,
       coalesce(sum(n) FILTER (WHERE bucket >= 0), 0)::int AS converted,
       array_agg(bucket) FILTER (WHERE bucket >= 0 AND n <> 0) AS buckets,
       array_agg(n::int) FILTER (WHERE bucket >= 0 AND n <> 0) AS counts,
       max(latest) AS latest
FROM (
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, bucket,
           sum(sign) AS n,
           max(greatest(entered_at, converted_at)) FILTER (WHERE sign > 0) AS latest
    FROM (
        SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered_at,
               bucket, converted_at, sum(sign) AS sign
        FROM (
            SELECT p.workspace_id, p.journey_id, p.stage_id, p.entry_touchpoint_id, p.sign,
                   (p.entered_at AT TIME ZONE j.timezone)::date AS day, p.entered_at,
                   CASE WHEN p.converted_at <= p.entered_at
                            + make_interval(secs => j.conversion_window_days * 86400)
                        THEN p.duration_bucket ELSE -1 END AS bucket,
                   CASE WHEN p.converted_at <= p.entered_at
                            + make_interval(secs => j.conversion_window_days * 86400)
                        THEN p.converted_at END AS converted_at
            FROM ({source}) p
            JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
        ) changed
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(sign) <> 0
    ) net
    GROUP BY 1, 2, 3, 4, 5, 6
) per_bucket
GROUP BY 1, 2, 3, 4, 5
"""

STAGE_KEY = (
    "s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day "
    "AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id"
)
STAGE_UPDATE = f"""
    UPDATE stage_day s
    SET entered = s.entered + d.entered, converted = s.converted + d.converted,
        histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
        latest = greatest(s.latest, d.latest)
    FROM {{rows}} d WHERE {STAGE_KEY}"""
# Rows already there are updated in place from the sparse delta; new ones inserted (and
# added up should a concurrent transaction have inserted the same one first).
STAGE_UPSERT = f"""
    WITH d AS MATERIALIZED ({{delta}}), known AS MATERIALIZED (
        SELECT d.*, EXISTS (SELECT FROM stage_day s WHERE {STAGE_KEY}) AS present FROM d
    ), updated AS ({STAGE_UPDATE.format(rows="(SELECT * FROM known WHERE present)")})
    INSERT INTO stage_day AS s (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                                entered, converted, histogram, latest)
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered, converted,
           duration_histogram_apply('{{{{}}}}', buckets, counts), latest
    FROM known WHERE NOT present
    ORDER BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, stage_id, entry_touchpoint_id) DO UPDATE
    SET entered = s.entered + excluded.entered, converted = s.converted + excluded.converted,
        histogram = duration_histogram_add(s.histogram, excluded.histogram),
        latest = greatest(s.latest, excluded.latest)"""

REACH_DELTA = """
SELECT r.workspace_id, t.journey_id, (r.first_reached_at AT TIME ZONE j.timezone)::date AS day,
       r.touchpoint_id, sum(r.sign)::int AS customers,
       max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
FROM ({source}) r
JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
GROUP BY 1, 2, 3, 4
"""
REACH_UPDATE = """
    UPDATE touchpoint_day s
    SET customers = s.customers + d.customers, latest = greatest(s.latest, d.latest)
    FROM ({delta}) d
    WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
      AND s.touchpoint_id = d.touchpoint_id"""
REACH_UPSERT = """
    INSERT INTO touchpoint_day AS s (workspace_id, journey_id, day, touchpoint_id, customers,
                                     latest)
    SELECT * FROM ({delta}) d ORDER BY workspace_id, journey_id, day, touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, touchpoint_id) DO UPDATE
    SET customers = s.customers + excluded.customers,
        latest = greatest(s.latest, excluded.latest)"""

# A workspace's rollup lock (two-key advisory locks do not meet the one-key ones ingest takes).
LOCK = "pg_advisory_xact_lock(1847, hashtext({workspace}::text))"

SOURCES = {
    "INSERT": "SELECT *, 1 AS sign FROM {new}",
    "UPDATE": "SELECT *, 1 AS sign FROM {new} UNION ALL SELECT *, -1 AS sign FROM {old}",
    "DELETE": "SELECT *, -1 AS sign FROM {old}",
}
TABLES = {  # table: (rollup, delta, upsert, update, transition table names)
    "stage_progress": (
        "stage_day",
        STAGE_DELTA,
        STAGE_UPSERT,
        STAGE_UPDATE.format(rows="({delta})"),
        ("old_progress", "new_progress"),
    ),
    "touchpoint_reach": (
        "touchpoint_day",
        REACH_DELTA,
        REACH_UPSERT,
        REACH_UPDATE,
        ("old_reach", "new_reach"),
    ),
}


def _trigger_function(table: str, event: str) -> str:
    """Static SQL (planned once per session), one function per table and event: PostgreSQL
    allows transition tables only on single-event triggers. Deletes only ever update, so that
    a cascading journey or stage delete (which takes the rollup rows too) inserts nothing.

    Writers of a workspace's rollups take its rollup lock until they commit: the rows of the
    current days are shared by every batch, and transactions locking them over several
    statements in different orders would deadlock."""
    rollup, delta, upsert, update, (old, new) = TABLES[table]
    source = SOURCES[event].format(old=old, new=new)
    statement = (update if event == "DELETE" else upsert).format(delta=delta.format(source=source))
    changed = old if event == "DELETE" else new
    return f"""
CREATE FUNCTION {rollup}_{event.lower()}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {LOCK.format(workspace="workspace_id")}
    FROM (SELECT DISTINCT workspace_id FROM {changed} ORDER BY 1) w;
{statement};
    RETURN NULL;
END $$
"""


REBUILD = f"""
CREATE FUNCTION journey_rollup_rebuild(of_workspace uuid, of_journey uuid) RETURNS void
LANGUAGE plpgsql AS $$
-- Count a journey's rollups again from stage_progress and touchpoint_reach.
BEGIN
    PERFORM {LOCK.format(workspace="of_workspace")};
    DELETE FROM stage_day WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO stage_day (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                           entered, converted, histogram, latest)
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered, converted,
           duration_histogram_apply('{{}}', buckets, counts), latest
    FROM ({
    STAGE_DELTA.format(
        source="SELECT *, 1 AS sign FROM stage_progress "
        "WHERE workspace_id = of_workspace AND journey_id = of_journey"
    )
}) d;
    DELETE FROM touchpoint_day WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO touchpoint_day (workspace_id, journey_id, day, touchpoint_id, customers, latest)
    {
    REACH_DELTA.format(
        source="SELECT r.*, 1 AS sign FROM touchpoint_reach r JOIN touchpoint t "
        "ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id "
        "WHERE t.workspace_id = of_workspace AND t.journey_id = of_journey"
    )
};
END $$
"""

TRIGGERS = [(table, event) for table in TABLES for event in SOURCES]


def upgrade() -> None:
    op.add_column(
        "stage_progress",
        sa.Column(
            "duration_bucket",
            sa.SmallInteger(),
            sa.Computed(DURATION_BUCKET, persisted=True),
            nullable=True,
        ),
    )
    op.create_index(
        "ix_stage_progress_duration",
        "stage_progress",
        ["workspace_id", "journey_id", "stage_id", "duration_bucket", "entered_at"],
        unique=False,
        postgresql_include=["converted_at", "entry_touchpoint_id"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_stage_progress_converted",
        "stage_progress",
        ["workspace_id", "journey_id", "converted_at"],
        unique=False,
        postgresql_include=["entered_at", "stage_id", "entry_touchpoint_id", "duration_bucket"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.create_table(
        "stage_day",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("entry_touchpoint_id", sa.Uuid(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("converted", sa.Integer(), nullable=False),
        sa.Column("histogram", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            name=op.f("fk_stage_day_workspace_id_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "stage_id"],
            ["stage.workspace_id", "stage.id"],
            name=op.f("fk_stage_day_workspace_id_stage_id_stage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "journey_id",
            "day",
            "stage_id",
            "entry_touchpoint_id",
            name=op.f("pk_stage_day"),
        ),
    )
    op.create_table(
        "touchpoint_day",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint_id", sa.Uuid(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            name=op.f("fk_touchpoint_day_workspace_id_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"],
            ["touchpoint.workspace_id", "touchpoint.id"],
            name=op.f("fk_touchpoint_day_workspace_id_touchpoint_id_touchpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "journey_id", "day", "touchpoint_id", name=op.f("pk_touchpoint_day")
        ),
    )
    for function in (HISTOGRAM_APPLY, HISTOGRAM_ADD, REBUILD):
        op.execute(function)
    for table, event in TRIGGERS:
        rollup, _, _, _, (old, new) = TABLES[table]
        op.execute(_trigger_function(table, event))
        transition = {
            "INSERT": f"NEW TABLE AS {new}",
            "UPDATE": f"OLD TABLE AS {old} NEW TABLE AS {new}",
            "DELETE": f"OLD TABLE AS {old}",
        }[event]
        op.execute(
            f"CREATE TRIGGER {table}_rollup_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {rollup}_{event.lower()}()"
        )
    op.execute("SELECT journey_rollup_rebuild(workspace_id, id) FROM journey")


def downgrade() -> None:
    for table, event in TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_rollup_{event.lower()} ON {table}")
        op.execute(f"DROP FUNCTION {TABLES[table][0]}_{event.lower()}()")
    for function in (
        "journey_rollup_rebuild(uuid, uuid)",
        "duration_histogram_add(int[], int[])",
        "duration_histogram_apply(int[], int[], int[])",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_table("touchpoint_day")
    op.drop_table("stage_day")
    op.drop_index(
        "ix_stage_progress_converted",
        table_name="stage_progress",
        postgresql_include=["entered_at", "stage_id", "entry_touchpoint_id", "duration_bucket"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_stage_progress_duration",
        table_name="stage_progress",
        postgresql_include=["converted_at", "entry_touchpoint_id"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.drop_column("stage_progress", "duration_bucket")
