"""JSON on the ingest path: orjson, several times faster than the alternatives at parsing a
batch, and the standard library whenever orjson would not keep the value exactly (integers
beyond 64 bits, which it reads as floats; NaN), so no event is refused or altered for the
library's sake.

Parsing is bounded: nesting deeper than orjson's 1,024 levels (or the standard library's
recursion limit, below that) refuses the whole body, and an integer too long for Python to
read (over 4,300 digits) becomes a `TooLongNumber` for the event's checks to refuse, so that
it costs its own event and not the batch."""

import json
import math
import sys
from typing import Any

import orjson

# 20 digits in a row may be an integer beyond 64 bits (or just part of a string: then the
# slower parser gives the same answer). Found by mapping digits to "0" and everything else to a
# space, then a substring search: ten times faster than a regular expression.
_DIGITS_ONLY = bytes(ord("0") if chr(i).isdigit() and i < 128 else ord(" ") for i in range(256))
_LONG_RUN = b"0" * 20


PARSE_DEPTH_MAX = 1024  # orjson's own bound


class TooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(
            f"The JSON nests objects or arrays more than {PARSE_DEPTH_MAX} levels deep."
        )


class TooLongNumber:
    """An integer longer than Python reads (`sys.get_int_max_str_digits`); no JSON encoder
    takes it, so it never reaches the database unnoticed."""

    __slots__ = ("digits",)

    def __init__(self, digits: str):
        self.digits = len(digits)


def _integer(digits: str) -> int | TooLongNumber:
    if len(digits) > sys.get_int_max_str_digits():
        return TooLongNumber(digits)
    return int(digits)


def has_long_integer(data: bytes) -> bool:
    """Whether `data` may hold an integer beyond 64 bits (20 digits in a row)."""
    return _LONG_RUN in data.translate(_DIGITS_ONLY)


def loads(data: bytes) -> Any:
    """The parsed JSON; ValueError when it is not JSON, TooDeep when it nests too deeply."""
    if has_long_integer(data):
        return _standard_loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):
            raise TooDeep() from None
        return _standard_loads(data)  # NaN and Infinity, which JavaScript senders produce


def _standard_loads(data: bytes) -> Any:
    try:
        return json.loads(data, parse_int=_integer)
    except RecursionError:
        raise TooDeep() from None


def dumps(value: Any) -> str:
    """Compact JSON text, as PostgreSQL's jsonb takes it (NaN and infinities become null)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits, or a type orjson does not know
        return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False, default=str)


def size(value: Any) -> int:
    """How many bytes `value` takes as compact JSON."""
    try:
        return len(orjson.dumps(value))
    except TypeError:  # as dumps, and lone surrogates counted as the 3 bytes they take
        return len(dumps(value).encode(errors="surrogatepass"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
