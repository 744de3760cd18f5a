"""The rollup functions as text: the trigger functions that keep `stage_day` and
`touchpoint_day` (and `journey_rollup_rebuild`) restated as the literal SQL the database holds.

0006 generated them from fragments and 0008 patched the generated text with `str.replace`, so
what ran existed nowhere to read. Same statements, same plans; only their layout is new.
tests/domain/test_rollup_functions.py checks that the database holds exactly this text and
that it judges a conversion as domain.metrics.definitions does (docs/metrics.md).

Each function: take the workspace's rollup lock (a two-key advisory lock, apart from the fold's
one-key lock) in workspace order, so that transactions writing the rows of the current days
never deadlock; then add the delta of the changed progress or reach rows (sign +1 added, -1
removed; an update's rows that count the same cancel out). Deletes only ever update, so that
a cascading journey or stage delete, which takes the rollup rows too, inserts nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGE_DAY_INSERT = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM new_progress ORDER BY 1) w;

    WITH d AS MATERIALIZED (
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
                       CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                     secs => j.conversion_window_days * 86400)
                            THEN p.duration_bucket ELSE -1 END AS bucket,
                       CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                     secs => j.conversion_window_days * 86400)
                            THEN p.converted_at END AS converted_at
                FROM new_progress p
                JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
            ) changed
            GROUP BY 1, 2, 3, 4, 5, 6
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5
    ), known AS MATERIALIZED (
        SELECT d.*, EXISTS (
            SELECT FROM stage_day s
            WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
              AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
        ) AS present
        FROM d
    ), updated AS (
        UPDATE stage_day s
        SET entered = s.entered + d.entered, converted = s.converted + d.converted,
            histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
            latest = greatest(s.latest, d.latest)
        FROM (SELECT * FROM known WHERE present) d
        WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
          AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
    )
    INSERT INTO stage_day AS s (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                                entered, converted, histogram, latest)
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered, converted,
           duration_histogram_apply('{}', buckets, counts), latest
    FROM known WHERE NOT present
    ORDER BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, stage_id, entry_touchpoint_id) DO UPDATE
    SET entered = s.entered + excluded.entered, converted = s.converted + excluded.converted,
        histogram = duration_histogram_add(s.histogram, excluded.histogram),
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

STAGE_DAY_UPDATE = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM new_progress ORDER BY 1) w;

    WITH d AS MATERIALIZED (
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
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.duration_bucket ELSE -1 END AS bucket,
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.converted_at END AS converted_at
                    FROM (SELECT *, 1 AS sign FROM new_progress
                          UNION ALL SELECT *, -1 AS sign FROM old_progress) p
                    JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
                ) changed
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(sign) <> 0
            ) net
            GROUP BY 1, 2, 3, 4, 5, 6
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5
    ), known AS MATERIALIZED (
        SELECT d.*, EXISTS (
            SELECT FROM stage_day s
            WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
              AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
        ) AS present
        FROM d
    ), updated AS (
        UPDATE stage_day s
        SET entered = s.entered + d.entered, converted = s.converted + d.converted,
            histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
            latest = greatest(s.latest, d.latest)
        FROM (SELECT * FROM known WHERE present) d
        WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
          AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
    )
    INSERT INTO stage_day AS s (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                                entered, converted, histogram, latest)
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered, converted,
           duration_histogram_apply('{}', buckets, counts), latest
    FROM known WHERE NOT present
    ORDER BY workspace_id, journey_id, day, stage_id, entry_touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, stage_id, entry_touchpoint_id) DO UPDATE
    SET entered = s.entered + excluded.entered, converted = s.converted + excluded.converted,
        histogram = duration_histogram_add(s.histogram, excluded.histogram),
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

STAGE_DAY_DELETE = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM old_progress ORDER BY 1) w;

    UPDATE stage_day s
    SET entered = s.entered + d.entered, converted = s.converted + d.converted,
        histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
        latest = greatest(s.latest, d.latest)
    FROM (
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
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.duration_bucket ELSE -1 END AS bucket,
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.converted_at END AS converted_at
                    FROM (SELECT *, -1 AS sign FROM old_progress) p
                    JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
                ) changed
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(sign) <> 0
            ) net
            GROUP BY 1, 2, 3, 4, 5, 6
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5
    ) d
    WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
      AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id;
    RETURN NULL;
END
"""

TOUCHPOINT_DAY_INSERT = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM new_reach ORDER BY 1) w;

    INSERT INTO touchpoint_day AS s (workspace_id, journey_id, day, touchpoint_id, customers,
                                     latest)
    SELECT * FROM (
        WITH zone AS MATERIALIZED (
            SELECT t.workspace_id, t.id AS touchpoint_id, t.journey_id, j.timezone
            FROM touchpoint t
            JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
            WHERE t.workspace_id IN (SELECT DISTINCT workspace_id FROM new_reach)
        )
        SELECT r.workspace_id, z.journey_id,
               (r.first_reached_at AT TIME ZONE z.timezone)::date AS day,
               r.touchpoint_id, sum(r.sign)::int AS customers,
               max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
        FROM (SELECT *, 1 AS sign FROM new_reach) r
        JOIN zone z ON z.workspace_id = r.workspace_id AND z.touchpoint_id = r.touchpoint_id
        GROUP BY 1, 2, 3, 4
    ) d
    ORDER BY workspace_id, journey_id, day, touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, touchpoint_id) DO UPDATE
    SET customers = s.customers + excluded.customers,
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

TOUCHPOINT_DAY_UPDATE = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM new_reach ORDER BY 1) w;

    INSERT INTO touchpoint_day AS s (workspace_id, journey_id, day, touchpoint_id, customers,
                                     latest)
    SELECT * FROM (
        WITH zone AS MATERIALIZED (
            SELECT t.workspace_id, t.id AS touchpoint_id, t.journey_id, j.timezone
            FROM touchpoint t
            JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
            WHERE t.workspace_id IN (SELECT DISTINCT workspace_id FROM new_reach)
        )
        SELECT r.workspace_id, z.journey_id,
               (r.first_reached_at AT TIME ZONE z.timezone)::date AS day,
               r.touchpoint_id, sum(r.sign)::int AS customers,
               max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
        FROM (SELECT *, 1 AS sign FROM new_reach
              UNION ALL SELECT *, -1 AS sign FROM old_reach) r
        JOIN zone z ON z.workspace_id = r.workspace_id AND z.touchpoint_id = r.touchpoint_id
        GROUP BY 1, 2, 3, 4
    ) d
    ORDER BY workspace_id, journey_id, day, touchpoint_id
    ON CONFLICT (workspace_id, journey_id, day, touchpoint_id) DO UPDATE
    SET customers = s.customers + excluded.customers,
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

TOUCHPOINT_DAY_DELETE = """
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM old_reach ORDER BY 1) w;

    UPDATE touchpoint_day s
    SET customers = s.customers + d.customers, latest = greatest(s.latest, d.latest)
    FROM (
        WITH zone AS MATERIALIZED (
            SELECT t.workspace_id, t.id AS touchpoint_id, t.journey_id, j.timezone
            FROM touchpoint t
            JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
            WHERE t.workspace_id IN (SELECT DISTINCT workspace_id FROM old_reach)
        )
        SELECT r.workspace_id, z.journey_id,
               (r.first_reached_at AT TIME ZONE z.timezone)::date AS day,
               r.touchpoint_id, sum(r.sign)::int AS customers,
               max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
        FROM (SELECT *, -1 AS sign FROM old_reach) r
        JOIN zone z ON z.workspace_id = r.workspace_id AND z.touchpoint_id = r.touchpoint_id
        GROUP BY 1, 2, 3, 4
    ) d
    WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
      AND s.touchpoint_id = d.touchpoint_id;
    RETURN NULL;
END
"""

JOURNEY_ROLLUP_REBUILD = """
-- Count a journey's rollups again from stage_progress and touchpoint_reach.
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(of_workspace::text));
    DELETE FROM stage_day WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO stage_day (workspace_id, journey_id, day, stage_id, entry_touchpoint_id,
                           entered, converted, histogram, latest)
    SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, entered, converted,
           duration_histogram_apply('{}', buckets, counts), latest
    FROM (
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
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.duration_bucket ELSE -1 END AS bucket,
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.converted_at END AS converted_at
                    FROM (SELECT *, 1 AS sign FROM stage_progress
                          WHERE workspace_id = of_workspace AND journey_id = of_journey) p
                    JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
                ) changed
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(sign) <> 0
            ) net
            GROUP BY 1, 2, 3, 4, 5, 6
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5
    ) d;
    DELETE FROM touchpoint_day WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO touchpoint_day (workspace_id, journey_id, day, touchpoint_id, customers, latest)
    SELECT r.workspace_id, t.journey_id,
           (r.first_reached_at AT TIME ZONE j.timezone)::date AS day,
           r.touchpoint_id, sum(r.sign)::int AS customers,
           max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
    FROM (
        SELECT r.*, 1 AS sign
        FROM touchpoint_reach r
        JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
        WHERE t.workspace_id = of_workspace AND t.journey_id = of_journey
    ) r
    JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
    JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
    GROUP BY 1, 2, 3, 4;
END
"""

# name: (arguments, what it returns, body); all in PL/pgSQL.
FUNCTIONS = {
    "stage_day_insert": ("", "trigger", STAGE_DAY_INSERT),
    "stage_day_update": ("", "trigger", STAGE_DAY_UPDATE),
    "stage_day_delete": ("", "trigger", STAGE_DAY_DELETE),
    "touchpoint_day_insert": ("", "trigger", TOUCHPOINT_DAY_INSERT),
    "touchpoint_day_update": ("", "trigger", TOUCHPOINT_DAY_UPDATE),
    "touchpoint_day_delete": ("", "trigger", TOUCHPOINT_DAY_DELETE),
    "journey_rollup_rebuild": (
        "of_workspace uuid, of_journey uuid",
        "void",
        JOURNEY_ROLLUP_REBUILD,
    ),
}


def upgrade() -> None:
    for name, (arguments, returns, body) in FUNCTIONS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}({arguments}) RETURNS {returns} "
            f"LANGUAGE plpgsql AS $function${body}$function$"
        )


def downgrade() -> None:
    """Nothing to undo: 0009 left the same statements, laid out otherwise."""
