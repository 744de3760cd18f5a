"""Checks on user input that every use case shares; each raises a DomainError naming the field."""

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ErrorCode, ValidationError

NAME_MAX = 80
TEXT_MAX = 3000
# The longest IANA time zone name is about 30 characters; anything far longer is not one (and
# would reach the file system as a file name).
TIME_ZONE_MAX = 64
# JSON objects and lists nested deeper than this are refused: what users store as JSON (persona
# attributes) is a few levels deep, and deep nesting only costs recursion in every reader.
JSON_DEPTH_MAX = 20
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What an API client may send as an idempotency key: visible ASCII, such as a UUID.
CLIENT_KEY = re.compile(r"[\x21-\x7e]{1,100}")
# Slack user ids (U…, or W… on Enterprise Grid).
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
# What PostgreSQL's text cannot hold: NUL, and UTF-16 surrogates (never valid alone in UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Dates the calendar arithmetic of metrics and alerts can take without overflowing (windows of
# months either side stay inside Python's years 1–9999 and PostgreSQL's range).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class Unset:
    """Marks an update argument that was not given (None means "clear it")."""

    _instance: "Unset | None" = None

    def __new__(cls) -> "Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()

E = TypeVar("E", bound=StrEnum)


def unstorable_reason(text: str) -> str | None:
    """Why `text` cannot be stored as PostgreSQL text, in words for the sender; None if it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000), which cannot be stored; remove it"
    return (
        f"contains a lone UTF-16 surrogate (\\u{ord(found.group()):04x}), which is not valid "
        "Unicode; send the whole character"
    )


def storable_text(value: str, *, field: str, label: str) -> str:
    """`value` unchanged, or a ValidationError naming the field when PostgreSQL cannot store it."""
    reason = unstorable_reason(value)
    if reason is not None:
        raise ValidationError(f"{label} {reason}.", field=field, code=ErrorCode.INVALID)
    return value


def storable_json(value: Any, *, field: str, label: str, max_depth: int = JSON_DEPTH_MAX) -> Any:
    """`value` unchanged, or a ValidationError naming the field when PostgreSQL cannot store it
    as JSON: a key or string it cannot hold as text, a number JSON cannot carry (NaN,
    infinities), or objects and lists nested deeper than `max_depth`. `label` names the whole
    value in the plural ("The attributes")."""
    within = label[0].lower() + label[1:]
    pending = [(value, 0)]
    while pending:  # a loop rather than recursion: the nesting is the sender's to choose
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise ValidationError(
                    f"{label} nest deeper than {max_depth} levels; flatten them.",
                    field=field,
                    code=ErrorCode.OUT_OF_RANGE,
                )
            if isinstance(item, dict):
                for key in item:
                    storable_text(str(key), field=field, label=f"A key in {within}")
            pending.extend((inner, depth + 1) for inner in _values(item))
        elif isinstance(item, str):
            storable_text(item, field=field, label=f"A value in {within}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError(
                f"A value in {within} is {item}, which JSON cannot carry; send a finite number.",
                field=field,
            )
    return value


def _values(container: dict | list) -> list:
    return list(container.values()) if isinstance(container, dict) else container


def storable_time(value: datetime | date, *, field: str, label: str) -> datetime | date:
    """A date or time between EARLIEST and LATEST (naive times are read as UTC)."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValidationError(
            f"{label} must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}, not {value}.",
            field=field,
            code=ErrorCode.OUT_OF_RANGE,
        )
    return value


def required_text(value: str | None, *, field: str, label: str, max_length: int = NAME_MAX) -> str:
    """Trimmed, non-empty text of at most `max_length` characters."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise ValidationError(f"{label} cannot be empty.", field=field, code=ErrorCode.REQUIRED)
    return optional_text(cleaned, field=field, label=label, max_length=max_length)


def optional_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    cleaned = storable_text((value or "").strip(), field=field, label=label)
    if len(cleaned) > max_length:
        raise ValidationError(
            f"{label} is {len(cleaned)} characters long; the limit is {max_length}.",
            field=field,
            code=ErrorCode.TOO_LONG,
        )
    return cleaned


def in_range(value: int | None, *, field: str, label: str, low: int, high: int) -> int:
    if value is None:  # a client that sent null where a number is needed
        raise ValidationError(
            f"{label} needs a value between {low} and {high}.",
            field=field,
            code=ErrorCode.REQUIRED,
        )
    if not low <= value <= high:
        raise ValidationError(
            f"{label} must be between {low} and {high}, not {value}.",
            field=field,
            code=ErrorCode.OUT_OF_RANGE,
        )
    return value


def one_of(enum: type[E], value: Any, *, field: str, label: str) -> E:
    """Accept an enum member or its value ("pain_point", "Pain point", "PAIN_POINT")."""
    if isinstance(value, enum):
        return value
    wanted = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    for member in enum:
        if member.value == wanted:
            return member
    choices = ", ".join(m.value for m in enum)
    raise ValidationError(f"{label} “{value}” is not one of: {choices}.", field=field)


def time_zone(value: str | None, *, field: str = "timezone") -> str:
    """An IANA time zone name (default UTC)."""
    name = storable_text((value or "UTC").strip(), field=field, label="The time zone")
    if len(name) > TIME_ZONE_MAX:
        raise ValidationError(
            f"“{name[:40]}…” is not a time zone: names are at most {TIME_ZONE_MAX} characters; "
            "use an IANA name such as Europe/Paris or UTC.",
            field=field,
            code=ErrorCode.TOO_LONG,
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"“{name}” is not a time zone; use an IANA name such as Europe/Paris or UTC.",
            field=field,
        ) from None
    return name


def slack_user_id(value: str, *, field: str) -> str:
    """A Slack user id such as U024BE7LH, trimmed."""
    cleaned = value.strip()
    if not SLACK_USER_ID.fullmatch(cleaned):
        raise ValidationError(
            f"“{cleaned[:40]}” is not a Slack user id; pass one like U024BE7LH (in Slack: a "
            "member's profile → ⋮ → Copy member ID).",
            field=field,
            code=ErrorCode.REQUIRED if not cleaned else ErrorCode.INVALID,
        )
    return cleaned


def client_idempotency_key(value: str | None, *, field: str = "idempotencyKey") -> str | None:
    """The stored key for a key an API client sent with a create request (None: none sent).

    Keys from API clients live apart from the ones the Slack door makes ("slack:view:…"), so
    no client can reach a row a Slack form created by guessing its key."""
    if value is None:
        return None
    if not CLIENT_KEY.fullmatch(value):
        raise ValidationError(
            "The idempotency key must be 1–100 visible ASCII characters without spaces, such "
            "as a UUID; send the same key again only to retry the same request.",
            field=field,
            code=ErrorCode.INVALID,
        )
    return f"api:{value}"


def slug(text: str) -> str:
    """A touchpoint key from its name: "Product page" → "product-page"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64] or "touchpoint"


def touchpoint_key(value: str, *, field: str = "key") -> str:
    key = value.strip().lower()
    if not KEY_PATTERN.match(key):
        raise ValidationError(
            f"Touchpoint key “{value}” must be 1–64 lowercase letters, digits, “-” or “_”, "
            "starting with a letter or digit (e.g. product-page).",
            field=field,
        )
    return key
