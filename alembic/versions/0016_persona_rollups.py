"""persona rollups: the daily rollups again, per persona, for persona filters and breakdowns

A persona filter or breakdown (the customer's persona as of the evaluation time T) used to count
every progress row of the period live. Now each progress and reach row carries its customer's
*current* persona (`persona_id`, kept by the fold when it writes progress and when a customer's
persona changes, and by deleting a persona), and `stage_persona_day` / `touchpoint_persona_day`
sum the rows that have one, per persona, as `stage_day` / `touchpoint_day` sum them all
(migration 0010). Customers with no persona are the total less every persona. Readers correct
for the few customers whose persona changed after T (domain.metrics.daily_rollups).

The trigger functions: the same rollup lock as 0010's, then the delta of the changed rows that
have a persona (sign +1 added, -1 removed; rows that count the same cancel out), upserted, or
for deletes only updated (a cascading journey or stage delete takes the rollup rows first);
inserts, the fold's usual case, are counted as 0010's are (rows already there updated with
sparse buckets, new ones inserted).
tests/domain/metrics/test_rollup_functions.py holds the database to this text.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK = """
    PERFORM pg_advisory_xact_lock(1847, hashtext(workspace_id::text))
    FROM (SELECT DISTINCT workspace_id FROM {rows} ORDER BY 1) w;
"""

# The delta of `changed` (progress rows with a `sign`) per stage_persona_day key.
STAGE_DELTA = """
        SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, persona_id,
               sum(n)::int AS entered,
               coalesce(sum(n) FILTER (WHERE bucket >= 0), 0)::int AS converted,
               array_agg(bucket) FILTER (WHERE bucket >= 0 AND n <> 0) AS buckets,
               array_agg(n::int) FILTER (WHERE bucket >= 0 AND n <> 0) AS counts,
               max(latest) AS latest
        FROM (
            SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, persona_id,
                   bucket, sum(sign) AS n,
                   max(greatest(entered_at, converted_at)) FILTER (WHERE sign > 0) AS latest
            FROM (
                SELECT workspace_id, journey_id, day, stage_id, entry_touchpoint_id, persona_id,
                       entered_at, bucket, converted_at, sum(sign) AS sign
                FROM (
                    SELECT p.workspace_id, p.journey_id, p.stage_id, p.entry_touchpoint_id,
                           p.persona_id, p.sign,
                           (p.entered_at AT TIME ZONE j.timezone)::date AS day, p.entered_at,
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.duration_bucket ELSE -1 END AS bucket,
                           CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                         secs => j.conversion_window_days * 86400)
                                THEN p.converted_at END AS converted_at
                    FROM ({changed}) p
                    JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
                    WHERE p.persona_id IS NOT NULL
                ) changed
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(sign) <> 0
            ) net
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5, 6
"""

STAGE_KEY = "workspace_id, journey_id, day, stage_id, entry_touchpoint_id, persona_id"


def _stage_upsert(changed: str, rows: str) -> str:
    return f"""
BEGIN{LOCK.format(rows=rows)}
    INSERT INTO stage_persona_day AS s ({STAGE_KEY}, entered, converted, histogram, latest)
    SELECT {STAGE_KEY}, entered, converted,
           duration_histogram_apply('{{}}', buckets, counts), latest
    FROM ({STAGE_DELTA.format(changed=changed)}) d
    ORDER BY {STAGE_KEY}
    ON CONFLICT ({STAGE_KEY}) DO UPDATE
    SET entered = s.entered + excluded.entered, converted = s.converted + excluded.converted,
        histogram = duration_histogram_add(s.histogram, excluded.histogram),
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""


# Rows only added (the fold's new progress, by COPY): no netting; rows already there take the
# sparse buckets (duration_histogram_apply), as migration 0010's stage_day_insert does.
STAGE_PERSONA_DAY_INSERT = f"""
BEGIN{LOCK.format(rows="new_progress")}
    WITH d AS MATERIALIZED (
        SELECT {STAGE_KEY},
               sum(n)::int AS entered,
               coalesce(sum(n) FILTER (WHERE bucket >= 0), 0)::int AS converted,
               array_agg(bucket) FILTER (WHERE bucket >= 0) AS buckets,
               array_agg(n::int) FILTER (WHERE bucket >= 0) AS counts,
               max(latest) AS latest
        FROM (
            SELECT {STAGE_KEY}, bucket,
                   count(*) AS n, max(greatest(entered_at, converted_at)) AS latest
            FROM (
                SELECT p.workspace_id, p.journey_id, p.stage_id, p.entry_touchpoint_id,
                       p.persona_id, (p.entered_at AT TIME ZONE j.timezone)::date AS day,
                       p.entered_at,
                       CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                     secs => j.conversion_window_days * 86400)
                            THEN p.duration_bucket ELSE -1 END AS bucket,
                       CASE WHEN p.converted_at <= p.entered_at + make_interval(
                                     secs => j.conversion_window_days * 86400)
                            THEN p.converted_at END AS converted_at
                FROM new_progress p
                JOIN journey j ON j.workspace_id = p.workspace_id AND j.id = p.journey_id
                WHERE p.persona_id IS NOT NULL
            ) changed
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        ) per_bucket
        GROUP BY 1, 2, 3, 4, 5, 6
    ), known AS MATERIALIZED (
        SELECT d.*, EXISTS (
            SELECT FROM stage_persona_day s
            WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
              AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
              AND s.persona_id = d.persona_id
        ) AS present
        FROM d
    ), updated AS (
        UPDATE stage_persona_day s
        SET entered = s.entered + d.entered, converted = s.converted + d.converted,
            histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
            latest = greatest(s.latest, d.latest)
        FROM (SELECT * FROM known WHERE present) d
        WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
          AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
          AND s.persona_id = d.persona_id
    )
    INSERT INTO stage_persona_day AS s ({STAGE_KEY}, entered, converted, histogram, latest)
    SELECT {STAGE_KEY}, entered, converted,
           duration_histogram_apply('{{}}', buckets, counts), latest
    FROM known WHERE NOT present
    ORDER BY {STAGE_KEY}
    ON CONFLICT ({STAGE_KEY}) DO UPDATE
    SET entered = s.entered + excluded.entered, converted = s.converted + excluded.converted,
        histogram = duration_histogram_add(s.histogram, excluded.histogram),
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

STAGE_PERSONA_DAY_DELETE = f"""
BEGIN{LOCK.format(rows="old_progress")}
    UPDATE stage_persona_day s
    SET entered = s.entered + d.entered, converted = s.converted + d.converted,
        histogram = duration_histogram_apply(s.histogram, d.buckets, d.counts),
        latest = greatest(s.latest, d.latest)
    FROM ({STAGE_DELTA.format(changed="SELECT *, -1 AS sign FROM old_progress")}) d
    WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
      AND s.stage_id = d.stage_id AND s.entry_touchpoint_id = d.entry_touchpoint_id
      AND s.persona_id = d.persona_id;
    RETURN NULL;
END
"""

# The delta of `changed` (reach rows with a `sign`) per touchpoint_persona_day key.
REACH_DELTA = """
        SELECT r.workspace_id, t.journey_id,
               (r.first_reached_at AT TIME ZONE j.timezone)::date AS day,
               r.touchpoint_id, r.persona_id, sum(r.sign)::int AS customers,
               max(r.first_reached_at) FILTER (WHERE r.sign > 0) AS latest
        FROM ({changed}) r
        JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id
        JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
        WHERE r.persona_id IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(r.sign) <> 0
"""

REACH_KEY = "workspace_id, journey_id, day, touchpoint_id, persona_id"


def _reach_upsert(changed: str, rows: str) -> str:
    return f"""
BEGIN{LOCK.format(rows=rows)}
    INSERT INTO touchpoint_persona_day AS s ({REACH_KEY}, customers, latest)
    SELECT * FROM ({REACH_DELTA.format(changed=changed)}) d
    ORDER BY {REACH_KEY}
    ON CONFLICT ({REACH_KEY}) DO UPDATE
    SET customers = s.customers + excluded.customers,
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""


# Reach only added: each touchpoint's journey and time zone looked up once, as in 0010.
TOUCHPOINT_PERSONA_DAY_INSERT = f"""
BEGIN{LOCK.format(rows="new_reach")}
    INSERT INTO touchpoint_persona_day AS s ({REACH_KEY}, customers, latest)
    SELECT * FROM (
        WITH zone AS MATERIALIZED (
            SELECT t.workspace_id, t.id AS touchpoint_id, t.journey_id, j.timezone
            FROM touchpoint t
            JOIN journey j ON j.workspace_id = t.workspace_id AND j.id = t.journey_id
            WHERE t.workspace_id IN (SELECT DISTINCT workspace_id FROM new_reach)
        )
        SELECT r.workspace_id, z.journey_id,
               (r.first_reached_at AT TIME ZONE z.timezone)::date AS day,
               r.touchpoint_id, r.persona_id, count(*)::int AS customers,
               max(r.first_reached_at) AS latest
        FROM new_reach r
        JOIN zone z ON z.workspace_id = r.workspace_id AND z.touchpoint_id = r.touchpoint_id
        WHERE r.persona_id IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
    ) d
    ORDER BY {REACH_KEY}
    ON CONFLICT ({REACH_KEY}) DO UPDATE
    SET customers = s.customers + excluded.customers,
        latest = greatest(s.latest, excluded.latest);
    RETURN NULL;
END
"""

TOUCHPOINT_PERSONA_DAY_DELETE = f"""
BEGIN{LOCK.format(rows="old_reach")}
    UPDATE touchpoint_persona_day s
    SET customers = s.customers + d.customers, latest = greatest(s.latest, d.latest)
    FROM ({REACH_DELTA.format(changed="SELECT *, -1 AS sign FROM old_reach")}) d
    WHERE s.workspace_id = d.workspace_id AND s.journey_id = d.journey_id AND s.day = d.day
      AND s.touchpoint_id = d.touchpoint_id AND s.persona_id = d.persona_id;
    RETURN NULL;
END
"""

JOURNEY_PERSONA_ROLLUP_REBUILD = f"""
-- Count a journey's persona rollups again from stage_progress and touchpoint_reach.
BEGIN
    PERFORM pg_advisory_xact_lock(1847, hashtext(of_workspace::text));
    DELETE FROM stage_persona_day WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO stage_persona_day ({STAGE_KEY}, entered, converted, histogram, latest)
    SELECT {STAGE_KEY}, entered, converted,
           duration_histogram_apply('{{}}', buckets, counts), latest
    FROM ({
    STAGE_DELTA.format(
        changed="SELECT *, 1 AS sign FROM stage_progress "
        "WHERE workspace_id = of_workspace AND journey_id = of_journey"
    )
}) d;
    DELETE FROM touchpoint_persona_day
    WHERE workspace_id = of_workspace AND journey_id = of_journey;
    INSERT INTO touchpoint_persona_day ({REACH_KEY}, customers, latest)
    SELECT * FROM ({
    REACH_DELTA.format(
        changed="SELECT r.*, 1 AS sign FROM touchpoint_reach r "
        "JOIN touchpoint t ON t.workspace_id = r.workspace_id AND t.id = r.touchpoint_id "
        "WHERE t.workspace_id = of_workspace AND t.journey_id = of_journey"
    )
}) d;
END
"""

BOTH_PROGRESS = "SELECT *, 1 AS sign FROM new_progress UNION ALL SELECT *, -1 FROM old_progress"
BOTH_REACH = "SELECT *, 1 AS sign FROM new_reach UNION ALL SELECT *, -1 FROM old_reach"

# name: (arguments, what it returns, body); all in PL/pgSQL.
FUNCTIONS = {
    "stage_persona_day_insert": ("", "trigger", STAGE_PERSONA_DAY_INSERT),
    "stage_persona_day_update": ("", "trigger", _stage_upsert(BOTH_PROGRESS, "new_progress")),
    "stage_persona_day_delete": ("", "trigger", STAGE_PERSONA_DAY_DELETE),
    "touchpoint_persona_day_insert": ("", "trigger", TOUCHPOINT_PERSONA_DAY_INSERT),
    "touchpoint_persona_day_update": ("", "trigger", _reach_upsert(BOTH_REACH, "new_reach")),
    "touchpoint_persona_day_delete": ("", "trigger", TOUCHPOINT_PERSONA_DAY_DELETE),
    "journey_persona_rollup_rebuild": (
        "of_workspace uuid, of_journey uuid",
        "void",
        JOURNEY_PERSONA_ROLLUP_REBUILD,
    ),
}

# table, rollup, transition table names (old, new)
TRIGGERS = (
    ("stage_progress", "stage_persona_day", ("old_progress", "new_progress")),
    ("touchpoint_reach", "touchpoint_persona_day", ("old_reach", "new_reach")),
)


def _day_table(name: str, key: list[sa.Column], counts: list[sa.Column], *extra) -> None:
    op.create_table(
        name,
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *key,
        sa.Column("persona_id", sa.Uuid(), nullable=False),
        *counts,
        sa.Column("latest", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            name=op.f(f"fk_{name}_workspace_id_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "persona_id"],
            ["persona.workspace_id", "persona.id"],
            name=op.f(f"fk_{name}_workspace_id_persona_id_persona"),
            ondelete="CASCADE",
        ),
        *extra,
    )


def upgrade() -> None:
    op.add_column("stage_progress", sa.Column("persona_id", sa.Uuid(), nullable=True))
    op.add_column("touchpoint_reach", sa.Column("persona_id", sa.Uuid(), nullable=True))
    # Progress rows that take nothing into the rollups' figures (only the persona changes)
    # net out in 0010's triggers.
    op.execute(
        """
        UPDATE stage_progress p SET persona_id = c.persona_id FROM customer c
        WHERE c.workspace_id = p.workspace_id AND c.id = p.customer_id
          AND c.persona_id IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE touchpoint_reach r SET persona_id = c.persona_id FROM customer c
        WHERE c.workspace_id = r.workspace_id AND c.id = r.customer_id
          AND c.persona_id IS NOT NULL
        """
    )
    for name in (
        "ix_stage_progress_entered",
        "ix_stage_progress_converted",
        "ix_stage_progress_duration",
    ):
        op.drop_index(name, table_name="stage_progress")
    op.create_index(
        "ix_stage_progress_entered",
        "stage_progress",
        ["workspace_id", "journey_id", "entered_at"],
        postgresql_include=[
            "stage_id",
            "converted_at",
            "entry_touchpoint_id",
            "customer_id",
            "persona_id",
        ],
    )
    op.create_index(
        "ix_stage_progress_converted",
        "stage_progress",
        ["workspace_id", "journey_id", "converted_at"],
        postgresql_include=[
            "entered_at",
            "stage_id",
            "entry_touchpoint_id",
            "duration_bucket",
            "persona_id",
        ],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_stage_progress_duration",
        "stage_progress",
        ["workspace_id", "journey_id", "stage_id", "duration_bucket", "entered_at"],
        postgresql_include=["converted_at", "entry_touchpoint_id", "customer_id", "persona_id"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.drop_index("ix_touchpoint_reach_first", table_name="touchpoint_reach")
    op.create_index(
        "ix_touchpoint_reach_first",
        "touchpoint_reach",
        ["workspace_id", "touchpoint_id", "first_reached_at"],
        postgresql_include=["customer_id", "persona_id"],
    )
    # The customers whose persona was set after an evaluation time: a reader's corrections.
    op.create_index(
        "ix_customer_persona_set",
        "customer",
        ["workspace_id", "persona_set_at"],
        postgresql_where=sa.text("persona_set_at IS NOT NULL"),
    )
    _day_table(
        "stage_persona_day",
        [
            sa.Column("stage_id", sa.Uuid(), nullable=False),
            sa.Column("entry_touchpoint_id", sa.Uuid(), nullable=False),
        ],
        [
            sa.Column("entered", sa.Integer(), nullable=False),
            sa.Column("converted", sa.Integer(), nullable=False),
            sa.Column("histogram", postgresql.ARRAY(sa.Integer()), nullable=False),
        ],
        sa.ForeignKeyConstraint(
            ["workspace_id", "stage_id"],
            ["stage.workspace_id", "stage.id"],
            name=op.f("fk_stage_persona_day_workspace_id_stage_id_stage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "journey_id",
            "day",
            "stage_id",
            "entry_touchpoint_id",
            "persona_id",
            name=op.f("pk_stage_persona_day"),
        ),
    )
    _day_table(
        "touchpoint_persona_day",
        [sa.Column("touchpoint_id", sa.Uuid(), nullable=False)],
        [sa.Column("customers", sa.Integer(), nullable=False)],
        sa.ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"],
            ["touchpoint.workspace_id", "touchpoint.id"],
            name=op.f("fk_touchpoint_persona_day_workspace_id_touchpoint_id_touchpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "journey_id",
            "day",
            "touchpoint_id",
            "persona_id",
            name=op.f("pk_touchpoint_persona_day"),
        ),
    )
    for name, (arguments, returns, body) in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}({arguments}) RETURNS {returns} "
            f"LANGUAGE plpgsql AS $function${body}$function$"
        )
    for table, rollup, (old, new) in TRIGGERS:
        for event, transition in (
            ("INSERT", f"NEW TABLE AS {new}"),
            ("UPDATE", f"OLD TABLE AS {old} NEW TABLE AS {new}"),
            ("DELETE", f"OLD TABLE AS {old}"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_persona_rollup_{event.lower()} AFTER {event} "
                f"ON {table} REFERENCING {transition} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {rollup}_{event.lower()}()"
            )
    op.execute("SELECT journey_persona_rollup_rebuild(workspace_id, id) FROM journey")


def downgrade() -> None:
    for table, _, _ in TRIGGERS:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_persona_rollup_{event} ON {table}")
    for name, (arguments, _, _) in FUNCTIONS.items():
        op.execute(f"DROP FUNCTION {name}({arguments})")
    op.drop_table("touchpoint_persona_day")
    op.drop_table("stage_persona_day")
    op.drop_index("ix_customer_persona_set", table_name="customer")
    op.drop_index("ix_touchpoint_reach_first", table_name="touchpoint_reach")
    op.create_index(
        "ix_touchpoint_reach_first",
        "touchpoint_reach",
        ["workspace_id", "touchpoint_id", "first_reached_at"],
    )
    for name in (
        "ix_stage_progress_entered",
        "ix_stage_progress_converted",
        "ix_stage_progress_duration",
    ):
        op.drop_index(name, table_name="stage_progress")
    op.create_index(
        "ix_stage_progress_entered",
        "stage_progress",
        ["workspace_id", "journey_id", "entered_at"],
        postgresql_include=["stage_id", "converted_at", "entry_touchpoint_id", "customer_id"],
    )
    op.create_index(
        "ix_stage_progress_converted",
        "stage_progress",
        ["workspace_id", "journey_id", "converted_at"],
        postgresql_include=["entered_at", "stage_id", "entry_touchpoint_id", "duration_bucket"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_stage_progress_duration",
        "stage_progress",
        ["workspace_id", "journey_id", "stage_id", "duration_bucket", "entered_at"],
        postgresql_include=["converted_at", "entry_touchpoint_id"],
        postgresql_where=sa.text("converted_at IS NOT NULL"),
    )
    op.drop_column("touchpoint_reach", "persona_id")
    op.drop_column("stage_progress", "persona_id")
