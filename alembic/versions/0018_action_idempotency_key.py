"""action idempotency key: a retried or repeated creation (a Slack view submitted twice)
creates one action

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("action", sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_action_idempotency_key",
        "action",
        ["workspace_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_action_idempotency_key",
        table_name="action",
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_column("action", "idempotency_key")
