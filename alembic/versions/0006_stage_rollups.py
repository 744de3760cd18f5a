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

FUNCTIONS = [
    r"""
CREATE FUNCTION duration_histogram(buckets int[], counts int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE AS $$
-- A dense histogram (element b + 1 counts bucket b) from sparse (bucket, count) pairs.
DECLARE
    result int[] := '{}';
    i int;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP
        IF buckets[i] IS NOT NULL THEN
            IF buckets[i] + 1 > cardinality(result) THEN
                result := result || array_fill(0, ARRAY[buckets[i] + 1 - cardinality(result)]);
            END IF;
            result[buckets[i] + 1] := result[buckets[i] + 1] + counts[i];
        END IF;
    END LOOP;
    RETURN result;
END $$;
""",
    r"""
CREATE FUNCTION duration_histogram_add(a int[], b int[]) RETURNS int[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(coalesce(a[i], 0) + coalesce(b[i], 0) ORDER BY i), '{}')
    FROM generate_series(1, greatest(cardinality(a), cardinality(b))) AS i
$$;
""",
    # The rollup delta of a set of progress rows (sign +1 added, -1 removed), per rollup key.
    r"""
CREATE FUNCTION stage_day_delta(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT format($q$
    WITH changed AS (
        SELECT p.workspace_id, p.journey_id, p.stage_id, p.entry_touchpoint_id, p.sign,
               (p.entered_at AT TIME ZONE j.timezone)::date AS day, p.entered_at,
               (p.converted_at <= p.entered_at
                   + make_interval(secs => j.conversion_window_days * 86400)) IS TRUE AS converted,
               p.duration_bucket, p.converted_at
        FROM (%s) p
        JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
    ), net AS (  -- rows an update left as they count (say, only last_reached_at moved) cancel
        SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered_at,
               converted, CASE WHEN converted THEN duration_bucket END AS duration_bucket,
               CASE WHEN converted THEN converted_at END AS converted_at, sum(sign) AS sign
        FROM changed GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(sign) <> 0
    ), by_bucket AS (
        SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
               array_agg(duration_bucket) AS buckets, array_agg(n) AS counts
        FROM (SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                     duration_bucket, sum(sign)::int AS n
              FROM net WHERE converted
              GROUP BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                       duration_bucket HAVING sum(sign) <> 0) b
        GROUP BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id
    )
    SELECT c.workspace_id, c.journey_id, c.day, c.stage_id, c.entry_touchpoint_id,
           sum(c.sign)::int AS entered,
           coalesce(sum(c.sign) FILTER (WHERE c.converted), 0)::int AS converted,
           duration_histogram(min(b.buckets), min(b.counts)) AS histogram,
           max(greatest(c.entered_at, c.converted_at)) FILTER (WHERE c.sign > 0) AS latest
    FROM net c
    LEFT JOIN by_bucket b USING (workspace_id, journey_id, day, stage_id, entry_touchpoint_id)
    GROUP BY c.workspace_id, c.journey_id, c.day, c.stage_id, c.entry_touchpoint_id
$q$, source)
$$;
""",
    r"""
CREATE FUNCTION stage_day_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- Only ever update: a cascading journey or stage delete removes the rollup rows too.
        EXECUTE format($q$
            UPDATE stage_day s
            SET entered = s.entered + d.entered, converted = s.converted + d.converted,
                histogram = duration_histogram_add(s.histogram, d.histogram)
            FROM (%s) d
            WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id
              AND s.day = d.day AND s.stage_id = d.stage_id
              AND s.entry_touchpoint_id = d.entry_touchpoint_id
        $q$, stage_day_delta('SELECT *, -1 AS sign FROM old_progress'));
        RETURN NULL;
    END IF;
    EXECUTE format($q$
        INSERT INTO stage_day AS s (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                                    entered, converted, histogram, latest)
        SELECT * FROM (%s) d
        ORDER BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id
        ON CONFLICT (workspace_id, journey_id, day, stage_id, entry_touchpoint_id) DO UPDATE
        SET entered = s.entered + excluded.entered,
            converted = s.converted + excluded.converted,
            histogram = duration_histogram_add(s.histogram, excluded.histogram),
            latest = greatest(s.latest, excluded.latest)
    $q$, stage_day_delta(CASE TG_OP WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM new_progress'
        ELSE 'SELECT *, 1 AS sign FROM new_progress UNION ALL '
             'SELECT *, -1 AS sign FROM old_progress' END));
    RETURN NULL;
END $$;
""",
    r"""
CREATE FUNCTION touchpoint_day_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM new_reach'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS sign FROM old_reach'
        ELSE 'SELECT *, 1 AS sign FROM new_reach UNION ALL SELECT *, -1 AS sign FROM old_reach'
    END;
    delta text := format($q$
        SELECT r.workspace_id, t.journey_id, (r.first_reached_at AT TIME ZONE j.timezone)::date
                   AS day, r.touchpoint_id, sum(r.sign)::int AS customers,
               max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
        FROM (%s) r
        JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
        JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
        GROUP BY 1, 2, 3, 4
    $q$, source);
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format($q$
            UPDATE touchpoint_day s SET customers = s.customers + d.customers FROM (%s) d
            WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id
              AND s.day = d.day AND s.touchpoint_id = d.touchpoint_id
        $q$, delta);
        RETURN NULL;
    END IF;
    EXECUTE format($q$
        INSERT INTO touchpoint_day AS s (workspace_id, journey_id, day, touchpoint_id, customers,
                                         latest)
        SELECT * FROM (%s) d ORDER BY workspace_id, journey_id, day, touchpoint_id
        ON CONFLICT (workspace_id, journey_id, day, touchpoint_id) DO UPDATE
        SET customers = s.customers + excluded.customers,
            latest = greatest(s.latest, excluded.latest)
    $q$, delta);
    RETURN NULL;
END $$;
""",
    r"""
CREATE FUNCTION journey_rollup_rebuild(workspace uuid, journey uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stage_day WHERE workspace_id = workspace AND journey_id = journey;
    EXECUTE format($q$
        INSERT INTO stage_day (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                               entered, converted, histogram, latest)
        SELECT * FROM (%s) d
    $q$, stage_day_delta(format(
        'SELECT *, 1 AS sign FROM stage_progress WHERE workspace_id = %L AND journey_id = %L',
        workspace, journey)));
    DELETE FROM touchpoint_day WHERE workspace_id = workspace AND journey_id = journey;
    INSERT INTO touchpoint_day (workspace_id, journey_id, day, touchpoint_id, customers, latest)
    SELECT r.workspace_id, t.journey_id, (r.first_reached_at AT TIME ZONE j.timezone)::date,
           r.touchpoint_id, count(*), max(r.first_reached_at)
    FROM touchpoint_reach r
    JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
    JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
    WHERE t.workspace_id = workspace AND t.journey_id = journey
    GROUP BY 1, 2, 3, 4;
END $$;
""",
]

TRIGGERS = [
    (table, event, function, transition)
    for table, function, (old, new) in (
        ("stage_progress", "stage_day_apply", ("old_progress", "new_progress")),
        ("touchpoint_reach", "touchpoint_day_apply", ("old_reach", "new_reach")),
    )
    for event, transition in (
        ("INSERT", f"NEW TABLE AS {new}"),
        ("UPDATE", f"OLD TABLE AS {old} NEW TABLE AS {new}"),
        ("DELETE", f"OLD TABLE AS {old}"),
    )
]


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
    for function in FUNCTIONS:
        op.execute(function)
    for table, event, function, transition in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_rollup_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    op.execute("SELECT journey_rollup_rebuild(workspace_id, id) FROM journey")


def downgrade() -> None:
    for table, event, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_rollup_{event.lower()} ON {table}")
    for function in (
        "journey_rollup_rebuild(uuid, uuid)",
        "touchpoint_day_apply()",
        "stage_day_apply()",
        "stage_day_delta(text)",
        "duration_histogram_add(int[], int[])",
        "duration_histogram(int[], int[])",
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
