"""resolve with proof: after a person resolves an alert, the check of the cohorts since
(alert.proof, alert.proof_checked_at) and alerts reopened when conversion is still down

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROOF_DUE = (
    "resolution = 'by_hand' AND (proof_checked_at IS NULL OR proof_checked_at < resolved_at)"
)
ACTIONS = ("fired", "acknowledged", "assigned", "muted", "resolved", "auto_resolved")


def upgrade() -> None:
    _check("alert_activity", "alert_action", "action", *ACTIONS, "reopened")
    op.add_column(
        "alert", sa.Column("proof", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("alert", sa.Column("proof_checked_at", sa.DateTime(timezone=True), nullable=True))
    # Alerts resolved by hand before proofs existed are not checked after the fact: a thread
    # reply weeks later about an alert everyone has forgotten helps nobody.
    op.execute("UPDATE alert SET proof_checked_at = resolved_at WHERE resolution = 'by_hand'")
    op.create_index(
        "ix_alert_proof_due",
        "alert",
        ["resolved_at"],
        unique=False,
        postgresql_where=sa.text(PROOF_DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_alert_proof_due", table_name="alert", postgresql_where=sa.text(PROOF_DUE))
    op.drop_column("alert", "proof_checked_at")
    op.drop_column("alert", "proof")
    op.execute("DELETE FROM alert_activity WHERE action = 'reopened'")
    _check("alert_activity", "alert_action", "action", *ACTIONS)


def _check(table: str, name: str, column: str, *values: str) -> None:
    """The CHECK behind an enum_column: alembic does not compare it."""
    op.drop_constraint(name, table, type_="check")
    allowed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(name, table, f"{column} IN ({allowed})")
