"""Weekly team digests: one row per team and week, and a `digest` kind of outgoing message.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:55:38.898519
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _kinds("post", "update", "reply", "digest")
    op.create_table(
        "team_digest",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("blocks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "notification_id"],
            ["notification.workspace_id", "notification.id"],
            name=op.f("fk_team_digest_workspace_id_notification_id_notification"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "team_id"],
            ["team.workspace_id", "team.id"],
            name=op.f("fk_team_digest_workspace_id_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_team_digest_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_team_digest")),
        sa.UniqueConstraint(
            "workspace_id",
            "team_id",
            "week_start",
            name=op.f("uq_team_digest_workspace_id_team_id_week_start"),
        ),
    )
    op.create_index(
        "ix_team_digest_notification",
        "team_digest",
        ["workspace_id", "notification_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_team_digest_notification", table_name="team_digest")
    op.drop_table("team_digest")
    op.execute("DELETE FROM notification WHERE kind = 'digest'")
    _kinds("post", "update", "reply")


def _kinds(*kinds: str) -> None:
    """The CHECK behind NotificationKind (an enum_column): alembic does not compare it."""
    op.drop_constraint("notification_kind", "notification", type_="check")
    allowed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint("notification_kind", "notification", f"kind IN ({allowed})")
