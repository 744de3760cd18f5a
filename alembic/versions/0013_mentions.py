"""mentions: people who saw the same as an observation (+1), one per observation and person

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("author_team_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "author_team_id"],
            ["team.workspace_id", "team.id"],
            name=op.f("fk_mention_workspace_id_author_team_id_team"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "observation_id"],
            ["observation.workspace_id", "observation.id"],
            name=op.f("fk_mention_workspace_id_observation_id_observation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_mention_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_mention")),
        sa.UniqueConstraint(
            "workspace_id",
            "observation_id",
            "author_id",
            name=op.f("uq_mention_workspace_id_observation_id_author_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("mention")
