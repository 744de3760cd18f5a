import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column
from domain.vocabulary import Emotion, ObservationKind, ObservationSource


class Observation(WorkspaceScoped, Base):
    """Something a staff member saw at a touchpoint or a stage.

    `journey_id` and `stage_id` are always set (from the touchpoint when one is given) so that
    the common filters need no joins; moving a touchpoint moves its observations' stage too.
    """

    __tablename__ = "observation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "journey_id"],
            ["journey.workspace_id", "journey.id"],
            ondelete="CASCADE",
        ),
        # No cascades from stage or touchpoint: removing those moves observations, never
        # deletes them (see domain.journey.service), and the database refuses a forgotten move.
        ForeignKeyConstraint(["workspace_id", "stage_id"], ["stage.workspace_id", "stage.id"]),
        ForeignKeyConstraint(
            ["workspace_id", "touchpoint_id"], ["touchpoint.workspace_id", "touchpoint.id"]
        ),
        ForeignKeyConstraint(["workspace_id", "author_team_id"], ["team.workspace_id", "team.id"]),
        ForeignKeyConstraint(
            ["workspace_id", "persona_id"], ["persona.workspace_id", "persona.id"]
        ),
        CheckConstraint("sentiment BETWEEN -2 AND 2", name="sentiment_range"),
        Index("ix_observation_journey_created", "workspace_id", "journey_id", "created_at"),
        Index("ix_observation_stage_created", "workspace_id", "stage_id", "created_at"),
        Index("ix_observation_touchpoint", "workspace_id", "touchpoint_id"),
        Index("ix_observation_workspace_created", "workspace_id", "created_at"),
        Index(
            "ix_observation_persona",
            "workspace_id",
            "persona_id",
            postgresql_where=text("persona_id IS NOT NULL"),
        ),
        Index(
            "uq_observation_idempotency_key",
            "workspace_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    journey_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    touchpoint_id: Mapped[uuid.UUID | None]
    kind: Mapped[ObservationKind] = mapped_column(enum_column(ObservationKind, "observation_kind"))
    emotion: Mapped[Emotion | None] = mapped_column(enum_column(Emotion, "emotion"))
    sentiment: Mapped[int | None] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(120))
    author_team_id: Mapped[uuid.UUID | None]
    # The customer segment it is about, if the staff member said (None: all customers).
    persona_id: Mapped[uuid.UUID | None]
    source: Mapped[ObservationSource] = mapped_column(
        enum_column(ObservationSource, "observation_source")
    )
    permalink: Mapped[str | None] = mapped_column(String(500))
    # Set by doors that may deliver the same request twice (Slack retries, double clicks).
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]
