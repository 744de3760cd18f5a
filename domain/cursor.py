"""Opaque keyset cursors for lists shown newest first: a row's time and id, base64-encoded."""

import base64
import uuid
from datetime import datetime

from domain.errors import ValidationError
from domain.validation import storable_time


def encode(at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The time and id inside a cursor, or a ValidationError on the `after` argument."""
    try:
        at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(at)
        storable_time(moment, field="after", label="A cursor's time")
        return moment, uuid.UUID(row_id)
    except (ValueError, ValidationError):
        raise ValidationError(
            "That cursor is not one this API gave out; use a page's endCursor.", field="after"
        ) from None
