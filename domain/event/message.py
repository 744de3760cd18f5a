"""Reading one incoming event (Segment Tracking API shape) into a checked message, or saying
precisely why it cannot be stored. Pure: no database."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from domain.event import jsontext
from domain.event.models import EventType

EVENT_BYTES_MAX = 32 * 1024
BATCH_BYTES_MAX = 500 * 1024
ID_MAX = 200
NAME_MAX = 200
# Clocks on customers' devices run ahead; an hour of skew is accepted, more is a bug upstream.
FUTURE_TOLERANCE = timedelta(hours=1)
# Identify traits that set a customer's persona: a persona's name (any case) or its id.
PERSONA_TRAITS = ("persona", "personaId")


class Reason(StrEnum):
    """Why an event was rejected (machine-readable; each comes with a sentence)."""

    MISSING_MESSAGE_ID = "missing_message_id"
    MISSING_CUSTOMER_ID = "missing_customer_id"
    MISSING_EVENT_NAME = "missing_event_name"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    OVERSIZED = "oversized"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_PERSONA = "unknown_persona"


class Rejected(Exception):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class NoPersona:
    """The identify did not mention a persona: the customer's persona stays as it is."""


NO_PERSONA = NoPersona()


class Message(NamedTuple):
    type: EventType
    message_id: str
    external_id: str
    name: str | None
    timestamp: datetime
    data: str  # properties (track) or traits (identify), as JSON text
    persona: str | uuid.UUID | None | NoPersona  # a name, an id, None to clear, or untouched


def message_id_of(raw: Any) -> str | None:
    """The messageId of a raw event, when it has a usable one (for per-event answers)."""
    if _is_object(raw):
        value = raw.get("messageId")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:ID_MAX]
    return None


def _is_object(value: Any) -> bool:
    # JSON objects arrive as dicts; the ABC check is for other callers and costs more.
    return type(value) is dict or isinstance(value, Mapping)


def read(raw: Any, *, received_at: datetime, default_type: str | None = None) -> Message:
    """Check one event; raise Rejected with the reason when it cannot be stored."""
    if not _is_object(raw):
        raise Rejected(Reason.INVALID_FIELD, "Each event must be a JSON object.")
    size = jsontext.size(raw)
    if size > EVENT_BYTES_MAX:
        raise Rejected(
            Reason.OVERSIZED,
            f"The event is {size} bytes; the limit is {EVENT_BYTES_MAX} (32 KB). "
            "Send fewer or smaller properties.",
        )
    kind = _type(raw.get("type", default_type))
    message_id = _identifier(raw.get("messageId"), "messageId", Reason.MISSING_MESSAGE_ID)
    external_id = _customer(raw)
    timestamp = _timestamp(raw.get("timestamp"), received_at)
    if kind is EventType.TRACK:
        return Message(
            type=kind,
            message_id=message_id,
            external_id=external_id,
            name=_event_name(raw.get("event")),
            timestamp=timestamp,
            data=_object_json(raw.get("properties"), "properties"),
            persona=NO_PERSONA,
        )
    traits = raw.get("traits")
    return Message(
        type=kind,
        message_id=message_id,
        external_id=external_id,
        name=None,
        timestamp=timestamp,
        data=_object_json(traits, "traits"),
        persona=_persona(traits),
    )


_TYPES = {member.value: member for member in EventType}


def _type(value: Any) -> EventType:
    member = _TYPES.get(value) if type(value) is str else None  # the usual, exact spelling
    if member is None:
        member = _TYPES.get(str(value or "track").strip().lower())
    if member is not None:
        return member
    raise Rejected(
        Reason.UNKNOWN_TYPE,
        f"Event type “{str(value)[:40]}” is not supported; send track or identify.",
    )


def _identifier(value: Any, field: str, reason: Reason) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise Rejected(reason, f"{field} is missing; every event needs one.")
    value = value.strip()
    if len(value) > ID_MAX:
        raise Rejected(Reason.INVALID_FIELD, f"{field} is longer than {ID_MAX} characters.")
    return value


def _customer(raw: Mapping[str, Any]) -> str:
    """The customer is the userId when there is one, else the anonymousId (no merging)."""
    user_id, anonymous_id = raw.get("userId"), raw.get("anonymousId")
    if user_id not in (None, ""):
        return _identifier(user_id, "userId", Reason.MISSING_CUSTOMER_ID)
    if anonymous_id not in (None, ""):
        return _identifier(anonymous_id, "anonymousId", Reason.MISSING_CUSTOMER_ID)
    raise Rejected(
        Reason.MISSING_CUSTOMER_ID, "userId or anonymousId is missing; every event needs one."
    )


def _event_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Rejected(Reason.MISSING_EVENT_NAME, "event is missing; a track call names its event.")
    value = value.strip()
    if len(value) > NAME_MAX:
        raise Rejected(Reason.INVALID_FIELD, f"event is longer than {NAME_MAX} characters.")
    return value


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text or a datetime (no offset means UTC), or None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _timestamp(value: Any, received_at: datetime) -> datetime:
    if value is None or value == "":
        return received_at  # as Segment does: no timestamp means "when it arrived"
    timestamp = parse_timestamp(value)
    if timestamp is None:
        raise Rejected(
            Reason.INVALID_TIMESTAMP,
            f"timestamp “{str(value)[:40]}” is not an ISO 8601 date-time "
            "(e.g. 2026-11-23T13:45:00Z).",
        )
    if timestamp > received_at + FUTURE_TOLERANCE:
        raise Rejected(
            Reason.FUTURE_TIMESTAMP,
            f"timestamp {timestamp.isoformat()} is more than an hour in the future; "
            "check the sender's clock.",
        )
    return timestamp


def _object_json(value: Any, field: str) -> str:
    if value is None:
        return "{}"
    if not _is_object(value):
        raise Rejected(Reason.INVALID_FIELD, f"{field} must be a JSON object.")
    return jsontext.dumps(value)


def _persona(traits: Any) -> str | uuid.UUID | None | NoPersona:
    if not _is_object(traits):
        return NO_PERSONA
    if "personaId" in traits and traits["personaId"] not in (None, ""):
        try:
            return uuid.UUID(str(traits["personaId"]))
        except ValueError:
            raise Rejected(
                Reason.UNKNOWN_PERSONA, "traits.personaId is not a persona id."
            ) from None
    if "persona" in traits or "personaId" in traits:
        name = traits.get("persona")
        if name in (None, ""):
            return None
        return str(name).strip()
    return NO_PERSONA
