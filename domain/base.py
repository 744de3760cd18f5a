"""The declarative base every table shares.

Every row carries its workspace id and every key includes it (`(workspace_id, id)` primary keys,
composite foreign keys), so that tables can later be distributed by workspace and no row can
point at another workspace's rows (docs/domain.md, "Invariants").
"""

import uuid
from datetime import datetime
from enum import Enum as PyEnum

from sqlalchemy import DateTime, Enum, ForeignKey, MetaData, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), uuid.UUID: Uuid}


class WorkspaceScoped:
    """Mixin: `(workspace_id, id)` primary key and a creation time."""

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True, sort_order=-20
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-10)
    # clock_timestamp(), not now(): rows made in one transaction keep the order they were made in.
    created_at: Mapped[datetime] = mapped_column(
        server_default=func.clock_timestamp(), sort_order=-5
    )


def enum_column(enum: type[PyEnum], name: str) -> Enum:
    """A VARCHAR + CHECK column storing the enum's values (easier to extend than PG enums)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
