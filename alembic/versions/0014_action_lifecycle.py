"""action lifecycle: due dates, who moved an action when, dropped actions, measured outcomes,
the alert an action came from and the action that resolved an alert, action messages and
direct messages in the outbox

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:29:37.509322
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _check("action", "action_status", "status", "open", "in_progress", "done", "dropped")
    _check(
        "notification", "notification_kind", "kind", "post", "update", "reply", "digest", "direct"
    )
    op.create_table(
        "action_activity",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "dropped",
                name="action_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "action_id"],
            ["action.workspace_id", "action.id"],
            name=op.f("fk_action_activity_workspace_id_action_id_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_action_activity_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_action_activity")),
    )
    op.create_index(
        "ix_action_activity_action",
        "action_activity",
        ["workspace_id", "action_id", "created_at"],
        unique=False,
    )
    op.add_column("action", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("action", sa.Column("created_by_id", sa.String(length=64), nullable=True))
    op.add_column("action", sa.Column("created_by_name", sa.String(length=120), nullable=True))
    op.add_column("action", sa.Column("alert_id", sa.Uuid(), nullable=True))
    op.add_column(
        "action", sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("action", sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "action", sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "action", sa.Column("outcome_measured_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_action_outcome_due",
        "action",
        ["done_at"],
        unique=False,
        postgresql_where=sa.text("status = 'done' AND outcome IS NULL"),
    )
    op.create_foreign_key(
        op.f("fk_action_workspace_id_alert_id_alert"),
        "action",
        "alert",
        ["workspace_id", "alert_id"],
        ["workspace_id", "id"],
        ondelete="SET NULL (alert_id)",
    )
    op.add_column("alert", sa.Column("resolved_by_action_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_alert_workspace_id_resolved_by_action_id_action"),
        "alert",
        "action",
        ["workspace_id", "resolved_by_action_id"],
        ["workspace_id", "id"],
        ondelete="SET NULL (resolved_by_action_id)",
    )
    op.add_column("notification", sa.Column("action_id", sa.Uuid(), nullable=True))
    op.create_index(
        "uq_notification_action_post",
        "notification",
        ["workspace_id", "action_id", "channel_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'post' AND action_id IS NOT NULL"),
    )
    op.create_foreign_key(
        op.f("fk_notification_workspace_id_action_id_action"),
        "notification",
        "action",
        ["workspace_id", "action_id"],
        ["workspace_id", "id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE kind = 'direct'")
    op.execute("UPDATE action SET status = 'open' WHERE status = 'dropped'")
    op.drop_constraint(
        op.f("fk_notification_workspace_id_action_id_action"), "notification", type_="foreignkey"
    )
    op.drop_index(
        "uq_notification_action_post",
        table_name="notification",
        postgresql_where=sa.text("kind = 'post' AND action_id IS NOT NULL"),
    )
    op.drop_column("notification", "action_id")
    op.drop_constraint(
        op.f("fk_alert_workspace_id_resolved_by_action_id_action"), "alert", type_="foreignkey"
    )
    op.drop_column("alert", "resolved_by_action_id")
    op.drop_constraint(op.f("fk_action_workspace_id_alert_id_alert"), "action", type_="foreignkey")
    op.drop_index(
        "ix_action_outcome_due",
        table_name="action",
        postgresql_where=sa.text("status = 'done' AND outcome IS NULL"),
    )
    op.drop_column("action", "outcome_measured_at")
    op.drop_column("action", "outcome")
    op.drop_column("action", "done_at")
    op.drop_column("action", "status_changed_at")
    op.drop_column("action", "alert_id")
    op.drop_column("action", "created_by_name")
    op.drop_column("action", "created_by_id")
    op.drop_column("action", "due_on")
    op.drop_index("ix_action_activity_action", table_name="action_activity")
    op.drop_table("action_activity")
    _check("notification", "notification_kind", "kind", "post", "update", "reply", "digest")
    _check("action", "action_status", "status", "open", "in_progress", "done")


def _check(table: str, name: str, column: str, *values: str) -> None:
    """The CHECK behind an enum_column: alembic does not compare it."""
    op.drop_constraint(name, table, type_="check")
    allowed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(name, table, f"{column} IN ({allowed})")
