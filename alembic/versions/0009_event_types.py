"""event types page and screen (Segment's page and screen calls, stored as named events)

The check on `event.type` is widened. Every stored row passed the narrower check, so the new
one is added NOT VALID: no scan of every event partition under an exclusive lock.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _check(types: Sequence[str], *, not_valid: bool) -> None:
    listed = ", ".join(f"'{t}'" for t in types)
    op.execute("ALTER TABLE event DROP CONSTRAINT event_type")
    op.execute(
        f"ALTER TABLE event ADD CONSTRAINT event_type CHECK (type IN ({listed}))"
        + (" NOT VALID" if not_valid else "")
    )


def upgrade() -> None:
    _check(("track", "identify", "page", "screen"), not_valid=True)


def downgrade() -> None:
    # Refused by PostgreSQL while page or screen events are stored: delete them first.
    _check(("track", "identify"), not_valid=False)
