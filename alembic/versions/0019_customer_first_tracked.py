"""customer first tracked: when a customer's events with a name begin, so that a persona read
as of an earlier time finds the few customers whose persona then was another one by an index

A persona filter or breakdown as of T corrects for the customers whose persona as of T is not
their current one (domain.metrics.daily_rollups.Moved). Those must have had progress by T and
a persona set after T; every customer who arrived after T has the second, so a read as of 30
days ago looked at a third of all customers. With `first_tracked_at` (the earliest timestamp of
their track, page and screen events: none of their progress or reach is earlier), the
candidates are the customers with first_tracked_at <= T < persona_set_at, and the partial index
holds only those whose persona was set after their first tracked event (a persona changed
while they were known), not the many identified when they arrive. It replaces
`ix_customer_persona_set`, which served only that read.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED = "persona_set_at > first_tracked_at"
SET = "persona_set_at IS NOT NULL"  # the index it replaces


def upgrade() -> None:
    op.add_column(
        "customer", sa.Column("first_tracked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        """
        UPDATE customer c SET first_tracked_at = e.first
        FROM (SELECT workspace_id, customer_id, min(timestamp) AS first FROM event
              WHERE name IS NOT NULL GROUP BY workspace_id, customer_id) e
        WHERE c.workspace_id = e.workspace_id AND c.id = e.customer_id
        """
    )
    op.create_index(
        "ix_customer_persona_moved",
        "customer",
        ["workspace_id", "persona_set_at"],
        postgresql_include=["first_tracked_at", "id", "persona_id"],
        postgresql_where=sa.text(MOVED),
    )
    op.drop_index("ix_customer_persona_set", table_name="customer", postgresql_where=sa.text(SET))


def downgrade() -> None:
    op.create_index(
        "ix_customer_persona_set",
        "customer",
        ["workspace_id", "persona_set_at"],
        postgresql_where=sa.text(SET),
    )
    op.drop_index(
        "ix_customer_persona_moved", table_name="customer", postgresql_where=sa.text(MOVED)
    )
    op.drop_column("customer", "first_tracked_at")
