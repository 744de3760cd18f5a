import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, WorkspaceScoped, enum_column


class NotificationKind(StrEnum):
    POST = "post"  # a new message in the channel
    UPDATE = "update"  # the parent's message rewritten in place
    REPLY = "reply"  # a note in the parent message's thread
    DIGEST = "digest"  # a team's weekly digest (its blocks are kept with the digest)
    DIRECT = "direct"  # a direct message to one person (channel_id is their user id)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Slack refused it for good (e.g. channel_not_found); kept for inspection


class Notification(WorkspaceScoped, Base):
    """The outbox: a message to one Slack channel, written in the same transaction as its cause.

    Posts and updates about an alert are rendered from the alert when they are delivered, so an
    update always shows the alert as it is then. Replies carry their own text.
    """

    __tablename__ = "notification"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "alert_id"], ["alert.workspace_id", "alert.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "action_id"], ["action.workspace_id", "action.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["workspace_id", "parent_id"],
            ["notification.workspace_id", "notification.id"],
            ondelete="CASCADE",
        ),
        Index(
            "ix_notification_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_notification_parent", "workspace_id", "parent_id"),
        # One message per alert and channel, however many routes lead there.
        Index(
            "uq_notification_alert_post",
            "workspace_id",
            "alert_id",
            "channel_id",
            unique=True,
            postgresql_where=text("kind = 'post'"),
        ),
        # Likewise one message per action and channel.
        Index(
            "uq_notification_action_post",
            "workspace_id",
            "action_id",
            "channel_id",
            unique=True,
            postgresql_where=text("kind = 'post' AND action_id IS NOT NULL"),
        ),
    )

    alert_id: Mapped[uuid.UUID | None]
    action_id: Mapped[uuid.UUID | None]
    parent_id: Mapped[uuid.UUID | None]
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, "notification_status"),
        default=NotificationStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
