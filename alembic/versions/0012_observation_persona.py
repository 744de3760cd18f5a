"""observation persona: the customer segment an observation is about, if the staff member said

Optional; an observation about no persona in particular stays about all customers. The map's
emotion lane for a chosen persona counts the observations about that persona.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("observation", sa.Column("persona_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "observation_workspace_id_persona_id_fkey",
        "observation",
        "persona",
        ["workspace_id", "persona_id"],
        ["workspace_id", "id"],
    )
    op.create_index(
        "ix_observation_persona",
        "observation",
        ["workspace_id", "persona_id"],
        postgresql_where=sa.text("persona_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_observation_persona", table_name="observation")
    op.drop_constraint("observation_workspace_id_persona_id_fkey", "observation")
    op.drop_column("observation", "persona_id")
