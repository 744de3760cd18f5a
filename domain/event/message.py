"""Reading one incoming event (Segment Tracking API shape) into a checked message, or saying
precisely why it cannot be stored. Pure: no database.

Calls as Segment's spec defines them (https://segment.com/docs/connections/spec/):
- `track`: the event named by `event`;
- `page` and `screen`: a customer viewing a page or screen, stored with the event name
  Segment gives them wherever a destination takes only named events: “Viewed {category}
  {name} Page” (or Screen), “Loaded a Page” (or Screen) without a name; so touchpoints map
  them like any other event name;
- `identify`: traits, from `traits` and from `context.traits` (where RudderStack's libraries
  put them; `traits` wins where both name a trait);
- `group` and `alias`: JourneyOps has no accounts and does not merge identities, so these are
  acknowledged and not stored (`Ignored`), never refused: pipelines send them to every
  destination.

An event holding what PostgreSQL cannot store (NUL, lone surrogates), a timestamp outside the
calendar's safe range, or structures nested more than DEPTH_MAX levels is rejected naming the
field. The usual event is checked by one orjson encoding (which the size limit needs anyway):
it fails on lone surrogates, shows NUL as `\\u0000`, and holds more brackets than levels; only
an event it casts doubt on is walked value by value.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, TypeGuard

import msgspec
import orjson

from domain.errors import ValidationError
from domain.event import jsontext
from domain.event.models import EventType
from domain.validation import storable_time, unstorable_reason

EVENT_BYTES_MAX = 32 * 1024
BATCH_BYTES_MAX = 500 * 1024
BATCH_EVENTS_MAX = 500  # through any door; Segment's and RudderStack's libraries send 100
ID_MAX = 200
NAME_MAX = 200
# Objects and arrays nested in an event, `properties` being the first level: plenty for real
# data, and it bounds every walk over an event.
DEPTH_MAX = 32
# Clocks on customers' devices run ahead; an hour of skew is accepted, more is a bug upstream.
FUTURE_TOLERANCE = timedelta(hours=1)
# Identify traits that set a customer's persona: a persona's name (any case) or its id.
PERSONA_TRAITS = ("persona", "personaId")
# What of an event is stored, by call: its top-level texts and everything under its objects.
_IDS = ("messageId", "userId", "anonymousId")
_STORED_TEXT = {
    EventType.TRACK: frozenset({*_IDS, "event"}),
    EventType.IDENTIFY: frozenset(_IDS),
    EventType.PAGE: frozenset({*_IDS, "name", "category"}),
    EventType.SCREEN: frozenset({*_IDS, "name", "category"}),
}
_PROPERTIES = frozenset({("properties",)})
_STORED_OBJECTS = {
    EventType.TRACK: _PROPERTIES,
    EventType.IDENTIFY: frozenset({("traits",), ("context", "traits")}),
    EventType.PAGE: _PROPERTIES,
    EventType.SCREEN: _PROPERTIES,
}
SHOWN_MAX = 40


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


class Ignored(Exception):
    """A call JourneyOps has no use for: acknowledged, not stored."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_IGNORED = {
    "group": "group calls are not used (JourneyOps has no accounts); acknowledged, not stored.",
    "alias": "alias calls are not used (JourneyOps does not merge identities: a customer is "
    "the userId, else the anonymousId); acknowledged, not stored.",
}


class NoPersona:
    """The identify did not mention a persona: the customer's persona stays as it is."""


NO_PERSONA = NoPersona()


class Message(NamedTuple):
    type: EventType
    message_id: str
    external_id: str
    name: str | None  # what touchpoints map: track, page and screen events have one
    timestamp: datetime
    data: str  # properties (track, page, screen) or traits (identify), as JSON text
    persona: str | uuid.UUID | None | NoPersona  # a name, an id, None to clear, or untouched


def shown(text: str, limit: int = SHOWN_MAX) -> str:
    """`text` fit to quote back to the sender: cut to `limit` characters, with what no
    database or JSON answer can carry (NUL, lone surrogates) written as `\\uXXXX`."""
    cut = text[:limit]
    if unstorable_reason(cut) is not None:
        cut = "".join(c if unstorable_reason(c) is None else f"\\u{ord(c):04x}" for c in cut)
    return cut + ("…" if len(text) > limit else "")


def message_id_of(raw: Any) -> str | None:
    """The messageId of a raw event, when it has a usable one (for per-event answers)."""
    if type(raw) is Decoded:
        raw = raw.plain()
    if _is_object(raw):
        value = raw.get("messageId")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return shown(str(value), ID_MAX)
    return None


def _is_object(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # JSON objects arrive as dicts; the ABC check is for other callers and costs more.
    return type(value) is dict or isinstance(value, Mapping)


def read(raw: Any, *, received_at: datetime, default_type: str | None = None) -> Message:
    """Check one event (a parsed JSON value, or a `Decoded` one); raise Rejected with the reason
    when it cannot be stored, Ignored when it is a call JourneyOps does not use."""
    if type(raw) is Decoded:
        message = _read_decoded(raw, received_at, default_type)
        if message is not None:
            return message
        raw = raw.plain()
    if not _is_object(raw):
        raise Rejected(Reason.INVALID_FIELD, "Each event must be a JSON object.")
    kind = _type(raw.get("type") or default_type)
    size = _checked_size(raw, kind)
    if size > EVENT_BYTES_MAX:
        raise Rejected(
            Reason.OVERSIZED,
            f"The event is {size} bytes; the limit is {EVENT_BYTES_MAX} (32 KB). "
            "Send fewer or smaller properties.",
        )
    message_id = _identifier(raw.get("messageId"), "messageId", Reason.MISSING_MESSAGE_ID)
    external_id = _customer(raw.get("userId"), raw.get("anonymousId"))
    timestamp = _timestamp(raw.get("timestamp"), received_at)
    if kind is EventType.IDENTIFY:
        traits = _traits(raw)
        return Message(
            type=kind,
            message_id=message_id,
            external_id=external_id,
            name=None,
            timestamp=timestamp,
            data=_object_json(traits, "traits"),
            persona=_persona(traits),
        )
    return Message(
        type=kind,
        message_id=message_id,
        external_id=external_id,
        name=_event_name(raw.get("event")) if kind is EventType.TRACK else _view_name(raw, kind),
        timestamp=timestamp,
        data=_object_json(raw.get("properties"), "properties"),
        persona=NO_PERSONA,
    )


_TYPES = {member.value: member for member in EventType}


def _type(value: Any) -> EventType:
    member = _TYPES.get(value) if type(value) is str else None  # the usual, exact spelling
    if member is not None:
        return member
    if value is None:
        return EventType.TRACK
    if not isinstance(value, str):
        raise Rejected(Reason.UNKNOWN_TYPE, "type must be text: track, identify, page or screen.")
    wanted = value.strip().lower()
    if wanted in _IGNORED:
        raise Ignored(_IGNORED[wanted])
    if wanted in _TYPES:
        return _TYPES[wanted]
    raise Rejected(
        Reason.UNKNOWN_TYPE,
        f"Event type “{shown(value)}” is not supported; send track, identify, page or screen.",
    )


def _checked_size(raw: Mapping[str, Any], kind: EventType) -> int:
    """The event's size as compact JSON, once nothing in it is too deep, and nothing of it
    that a `kind` call stores is unstorable."""
    try:
        encoded: bytes | None = orjson.dumps(raw)
    except TypeError:  # a lone surrogate, an integer beyond 64 bits, deep nesting, other types
        encoded = None
    if (
        encoded is None
        or b"\\u0000" in encoded
        or encoded.count(b"{") + encoded.count(b"[") > DEPTH_MAX + 1  # + the event's own
    ):
        texts, objects = _STORED_TEXT[kind], _STORED_OBJECTS[kind]
        for key, value in raw.items():
            _check_value(value, (key,), objects, key in texts or (key,) in objects)
    return len(encoded) if encoded is not None else jsontext.size(raw)


def _check_value(
    value: Any, path: tuple[Any, ...], objects: frozenset[tuple[str, ...]], stored: bool
) -> None:
    """Reject the event if `value` (at `path`) nests too deeply, or if it is stored (or lies
    in one of the stored `objects`) and holds text PostgreSQL cannot store or a number too
    long to read."""
    if isinstance(value, dict | list | tuple) or _is_object(value):
        if len(path) > DEPTH_MAX:
            raise Rejected(
                Reason.INVALID_FIELD,
                f"{_field(path)} is nested more than {DEPTH_MAX} levels deep; flatten it.",
            )
        items = value.items() if _is_object(value) else enumerate(value)
        for key, item in items:
            inner = (*path, key)
            if stored and isinstance(key, str) and unstorable_reason(key) is not None:
                raise Rejected(
                    Reason.INVALID_FIELD, f"The key {_field(inner)} {unstorable_reason(key)}."
                )
            _check_value(item, inner, objects, stored or inner in objects)
    elif isinstance(value, jsontext.TooLongNumber):
        raise Rejected(
            Reason.INVALID_FIELD,
            f"{_field(path)} is a number of {value.digits} digits, too long to read; send it "
            "as text.",
        )
    elif stored and isinstance(value, str):
        reason = unstorable_reason(value)
        if reason is not None:
            raise Rejected(Reason.INVALID_FIELD, f"{_field(path)} {reason}.")


def _field(path: tuple[Any, ...]) -> str:
    """A value's place in the event, as the sender would write it: properties.items[0].sku."""
    shown_path = ""
    for key in path[:6]:
        if isinstance(key, int):
            shown_path += f"[{key}]"
        else:
            shown_path += ("." if shown_path else "") + shown(str(key))
    return shown_path + ("…" if len(path) > 6 else "")


def _identifier(value: Any, field: str, reason: Reason) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Rejected(reason, f"{field} is missing; every event needs one.")
    if not isinstance(value, str):
        raise Rejected(Reason.INVALID_FIELD, f"{field} must be text or a whole number.")
    value = value.strip()
    if len(value) > ID_MAX:
        raise Rejected(Reason.INVALID_FIELD, f"{field} is longer than {ID_MAX} characters.")
    return value


def _customer(user_id: Any, anonymous_id: Any) -> str:
    """The customer is the userId when there is one, else the anonymousId (no merging)."""
    if user_id is not None and user_id != "":
        return _identifier(user_id, "userId", Reason.MISSING_CUSTOMER_ID)
    if anonymous_id is not None and anonymous_id != "":
        return _identifier(anonymous_id, "anonymousId", Reason.MISSING_CUSTOMER_ID)
    raise Rejected(
        Reason.MISSING_CUSTOMER_ID, "userId or anonymousId is missing; every event needs one."
    )


def _event_name(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Rejected(Reason.MISSING_EVENT_NAME, "event is missing; a track call names its event.")
    if not isinstance(value, str):
        raise Rejected(Reason.INVALID_FIELD, "event must be text: the event's name.")
    value = value.strip()
    if len(value) > NAME_MAX:
        raise Rejected(Reason.INVALID_FIELD, f"event is longer than {NAME_MAX} characters.")
    return value


def _view_name(raw: Mapping[str, Any], kind: EventType) -> str:
    """The event name of a page or screen view, as Segment names them for destinations that
    take only named events (its `facade` library): “Viewed Docs Setup Page”."""
    given = raw.get("properties")
    properties = given if _is_object(given) else {}
    name = _optional_text(raw, properties, "name")
    category = _optional_text(raw, properties, "category")
    noun = "Page" if kind is EventType.PAGE else "Screen"
    if not name:
        return f"Loaded a {noun}"
    full = f"Viewed {category} {name} {noun}" if category else f"Viewed {name} {noun}"
    if len(full) > NAME_MAX:
        raise Rejected(
            Reason.INVALID_FIELD,
            f"name (and category) are too long: the event name “{shown(full)}” would be longer "
            f"than {NAME_MAX} characters.",
        )
    return full


def _optional_text(raw: Mapping[str, Any], properties: Mapping[str, Any], field: str) -> str:
    """A page's or screen's `name` or `category`, also found in its properties (where
    analytics.js puts them)."""
    value = raw.get(field)
    where = field
    if value is None:
        value, where = properties.get(field), f"properties.{field}"
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(Reason.INVALID_FIELD, f"{where} must be text.")
    return " ".join(value.split())


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
        quoted = f"“{shown(value)}” " if isinstance(value, str) else ""
        raise Rejected(
            Reason.INVALID_TIMESTAMP,
            f"timestamp {quoted}is not an ISO 8601 date-time (e.g. 2026-11-23T13:45:00Z).",
        )
    try:
        storable_time(timestamp, field="timestamp", label="timestamp")
    except ValidationError as error:
        raise Rejected(Reason.INVALID_TIMESTAMP, error.message) from None
    if timestamp > received_at + FUTURE_TOLERANCE:
        raise Rejected(
            Reason.FUTURE_TIMESTAMP,
            f"timestamp {timestamp.isoformat()} is more than an hour in the future; "
            "check the sender's clock.",
        )
    return timestamp


def _traits(raw: Mapping[str, Any]) -> Any:
    """An identify's traits: `traits`, over `context.traits`."""
    traits = raw.get("traits")
    context = raw.get("context")
    nested = context.get("traits") if _is_object(context) else None
    if nested is None:
        return traits
    if not _is_object(nested):
        raise Rejected(Reason.INVALID_FIELD, "context.traits must be a JSON object.")
    if traits is None:
        return nested
    if not _is_object(traits):
        raise Rejected(Reason.INVALID_FIELD, "traits must be a JSON object.")
    return {**nested, **traits}


def _object_json(value: Any, field: str) -> str:
    if value is None:
        return "{}"
    if not _is_object(value):
        raise Rejected(Reason.INVALID_FIELD, f"{field} must be a JSON object.")
    return jsontext.dumps(value)


def _persona(traits: Any) -> str | uuid.UUID | None | NoPersona:
    if not _is_object(traits):
        return NO_PERSONA
    if traits.get("personaId") not in (None, ""):
        try:
            return uuid.UUID(str(traits["personaId"]))
        except ValueError:
            raise Rejected(
                Reason.UNKNOWN_PERSONA, "traits.personaId is not a persona id."
            ) from None
    if "persona" in traits or "personaId" in traits:
        name = traits.get("persona")
        if name is None or name == "":
            return None
        if not isinstance(name, str):
            raise Rejected(Reason.INVALID_FIELD, "traits.persona must be a persona's name.")
        return name.strip()
    return NO_PERSONA


# Reading a whole batch straight from its bytes ---------------------------------------------
#
# A `{"batch": [...]}` body is decoded by msgspec, in C, into each event's JSON text and, for
# each event, the few fields `read` needs as typed values: no dict is made for the event or its
# properties, and the properties (or traits) are stored as the very text they came in, never
# re-encoded (PostgreSQL's jsonb reads it). An event that does not fit that usual shape, or
# holds anything doubtful, is parsed and read the general way, alone, so that its answer is
# exactly the general reading's; a body holding what only the general reading answers exactly
# is read the general way whole.

# An event's compact JSON is never longer than its text, except for numbers written shorter
# than their compact form (`1e15` is 4 bytes, 1000000000000000.0 is 18): below a fifth of the
# limit, an event is within it whatever its numbers; a longer one is measured exactly.
_TRUSTED_BYTES = EVENT_BYTES_MAX // 5


class _Fields(msgspec.Struct):
    """What `read` needs of a track or identify event; other fields are skipped."""

    type: str | None = None
    messageId: str | int | None = None  # Segment's names
    userId: str | int | None = None
    anonymousId: str | int | None = None
    event: str | None = None
    timestamp: str | None = None
    properties: msgspec.Raw = msgspec.Raw()
    traits: msgspec.Raw = msgspec.Raw()
    context: msgspec.Raw = msgspec.Raw()


class _Batch(msgspec.Struct):
    batch: list[msgspec.Raw]


_BATCH = msgspec.json.Decoder(_Batch)
_FIELDS = msgspec.json.Decoder(_Fields)


class Decoded:
    """One event of a batch decoded from its JSON text (`decode_batch`): the text, and its
    fields when the event is of the usual shape with nothing doubtful in it, else None."""

    __slots__ = ("_plain", "fields", "text")

    def __init__(self, text: bytes, fields: _Fields | None):
        self.text, self.fields = text, fields
        self._plain: Any = None

    def plain(self) -> Any:
        """The event as parsed JSON, for the general reading."""
        if self._plain is None:
            self._plain = jsontext.loads(self.text)
        return self._plain


def decode_batch(body: bytes) -> list[Decoded] | None:
    """The events of a `{"batch": [...]}` body; None when the body is to be read the general
    way (`jsontext.loads`): it is not such a body, or it holds what only the general reading
    answers exactly (text that is not UTF-8, NaN, lone surrogates, integers of 20 digits or
    more, nesting too deep to parse)."""
    if not body.isascii():
        try:
            body.decode()
        except UnicodeDecodeError:
            return None
    if jsontext.has_long_integer(body):
        return None
    try:
        texts = _BATCH.decode(body).batch
    except (msgspec.DecodeError, RecursionError):
        return None
    events = []
    for raw in texts:
        text = bytes(raw)
        brackets = text.count(b"{") + text.count(b"[")
        if brackets > jsontext.PARSE_DEPTH_MAX:
            return None  # the general reading refuses the body
        events.append(Decoded(text, _fields(text, brackets)))
    return events


def _fields(text: bytes, brackets: int) -> _Fields | None:
    """The event's fields, unless it is long, may nest too deeply or holds NUL (msgspec has
    already refused lone surrogates), or its fields are not of the usual types."""
    if len(text) > _TRUSTED_BYTES or brackets > DEPTH_MAX + 1 or b"\\u0000" in text:
        return None
    try:
        return _FIELDS.decode(text)
    except msgspec.ValidationError:
        return None


def _read_decoded(raw: Decoded, received_at: datetime, default_type: str | None) -> Message | None:
    """`read` for a track or identify event of the usual shape, from its decoded fields, in the
    same order of checks; None for the general reading."""
    fields = raw.fields
    if fields is None:
        return None
    given = fields.type or default_type
    kind = EventType.TRACK if given is None else _TYPES.get(given)
    if kind is not EventType.TRACK and kind is not EventType.IDENTIFY:
        return None
    if kind is EventType.IDENTIFY and _has(bytes(fields.context), b"traits"):
        return None  # traits in context.traits, which the general reading merges
    message_id = _identifier(fields.messageId, "messageId", Reason.MISSING_MESSAGE_ID)
    external_id = _customer(fields.userId, fields.anonymousId)
    timestamp = _timestamp(fields.timestamp, received_at)
    if kind is EventType.IDENTIFY:
        traits = bytes(fields.traits)
        return Message(
            type=kind,
            message_id=message_id,
            external_id=external_id,
            name=None,
            timestamp=timestamp,
            data=_object_text(traits, "traits"),
            persona=_persona(jsontext.loads(traits)) if _has(traits, b"persona") else NO_PERSONA,
        )
    return Message(
        type=kind,
        message_id=message_id,
        external_id=external_id,
        name=_event_name(fields.event),
        timestamp=timestamp,
        data=_object_text(bytes(fields.properties), "properties"),
        persona=NO_PERSONA,
    )


def _has(text: bytes, key: bytes) -> bool:
    """Whether JSON `text` may name `key` (or names something in escapes)."""
    return key in text or b"\\" in text


def _object_text(text: bytes, field: str) -> str:
    """An object's JSON text as it came, for jsonb."""
    if not text or text == b"null":
        return "{}"
    if text[0] != ord("{"):
        raise Rejected(Reason.INVALID_FIELD, f"{field} must be a JSON object.")
    return text.decode()
