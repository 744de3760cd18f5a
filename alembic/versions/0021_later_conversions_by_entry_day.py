"""later conversions by entry day: the index that finds what a rollup counted after an
evaluation time keyed by the UTC day of entry before the conversion time

A reading as of T takes back the conversions after T of the period's entries. Keyed by
conversion time alone, the index gave every conversion after T (as of a month ago, a month of
them: 250k index rows at 5M events, for 11k kept); keyed by the day of entry first, the reader
descends once per entry day of the period to the conversions after T and reads only those
(`domain.metrics.definitions.entry_days`). It replaces `ix_stage_progress_converted`, which
served only that read, so the fold writes no more index entries than before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCLUDE = ["entered_at", "stage_id", "entry_touchpoint_id", "duration_bucket", "persona_id"]
CONVERTED = sa.text("converted_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_stage_progress_converted", table_name="stage_progress")
    op.create_index(
        "ix_stage_progress_entry_day_converted",
        "stage_progress",
        [
            "workspace_id",
            "journey_id",
            sa.text("((entered_at AT TIME ZONE 'UTC')::date)"),
            "converted_at",
        ],
        postgresql_include=INCLUDE,
        postgresql_where=CONVERTED,
    )


def downgrade() -> None:
    op.drop_index("ix_stage_progress_entry_day_converted", table_name="stage_progress")
    op.create_index(
        "ix_stage_progress_converted",
        "stage_progress",
        ["workspace_id", "journey_id", "converted_at"],
        postgresql_include=INCLUDE,
        postgresql_where=CONVERTED,
    )
