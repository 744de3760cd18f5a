"""customer events and stage metrics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:20:58.096675
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PARTITION_SCHEMA = "event_partition"


def upgrade() -> None:
    # Raw events are range-partitioned by month of their timestamp; the partitions are made at
    # ingest when a month is first seen (domain.event.partitions), in their own schema so that
    # they stay out of the model/migration comparison.
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}")
    op.create_table(
        "event",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "track",
                "identify",
                name="event_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        postgresql_partition_by="RANGE (timestamp)",
    )
    op.create_index(
        "ix_event_customer", "event", ["workspace_id", "customer_id", "timestamp"], unique=False
    )
    op.create_index("ix_event_name", "event", ["workspace_id", "name", "timestamp"], unique=False)
    op.create_table(
        "event_receipt",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "message_id", name=op.f("pk_event_receipt")),
    )
    op.create_table(
        "event_name_count",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_event_name_count_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "name", name=op.f("pk_event_name_count")),
    )
    op.create_table(
        "customer",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.Column("persona_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("persona_message_id", sa.String(length=200), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "persona_id"],
            ["persona.workspace_id", "persona.id"],
            name=op.f("fk_customer_workspace_id_persona_id_persona"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_customer_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_customer")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_customer_workspace_id_external_id")
        ),
    )
    op.create_table(
        "customer_persona",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "customer_id"],
            ["customer.workspace_id", "customer.id"],
            name=op.f("fk_customer_persona_workspace_id_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "persona_id"],
            ["persona.workspace_id", "persona.id"],
            name=op.f("fk_customer_persona_workspace_id_persona_id_persona"),
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "set_at", "message_id", name=op.f("pk_customer_persona")
        ),
    )
    op.create_table(
        "stage_progress",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_touchpoint_id", sa.Uuid(), nullable=False),
        sa.Column("last_reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            name=op.f("fk_stage_progress_workspace_id_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "stage_id"],
            ["stage.workspace_id", "stage.id"],
            name=op.f("fk_stage_progress_workspace_id_stage_id_stage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "journey_id", "stage_id", name=op.f("pk_stage_progress")
        ),
    )
    op.create_index(
        "ix_stage_progress_entered",
        "stage_progress",
        ["workspace_id", "journey_id", "entered_at"],
        unique=False,
        postgresql_include=["stage_id", "converted_at", "entry_touchpoint_id", "customer_id"],
    )
    op.create_table(
        "touchpoint_reach",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("touchpoint_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("first_reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"],
            ["touchpoint.workspace_id", "touchpoint.id"],
            name=op.f("fk_touchpoint_reach_workspace_id_touchpoint_id_touchpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "touchpoint_id", "customer_id", name=op.f("pk_touchpoint_reach")
        ),
    )
    op.create_index(
        "ix_touchpoint_reach_first",
        "touchpoint_reach",
        ["workspace_id", "touchpoint_id", "first_reached_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_touchpoint_reach_first", table_name="touchpoint_reach")
    op.drop_table("touchpoint_reach")
    op.drop_index(
        "ix_stage_progress_entered",
        table_name="stage_progress",
        postgresql_include=["stage_id", "converted_at", "entry_touchpoint_id", "customer_id"],
    )
    op.drop_table("stage_progress")
    op.drop_table("customer_persona")
    op.drop_table("customer")
    op.drop_table("event_name_count")
    op.drop_table("event_receipt")
    op.drop_index("ix_event_name", table_name="event")
    op.drop_index("ix_event_customer", table_name="event")
    op.drop_table("event")
    op.execute(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA} CASCADE")
