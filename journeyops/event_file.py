"""Reading events from a file for `journeyops import`: CSV (one column per field, JSON text in
`properties` / `traits`, any other column becomes a property or trait) or JSON lines (one
Segment-shaped event per line)."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIELDS = ("type", "messageId", "userId", "anonymousId", "event", "timestamp")


class LineError(Exception):
    """A line that is not an event at all (the ingestion use case judges the rest)."""


def file_format(path: Path, given: str | None) -> str:
    name = (given or path.suffix.lstrip(".")).lower()
    if name in ("csv",):
        return "csv"
    if name in ("jsonl", "ndjson", "json"):
        return "jsonl"
    raise LineError(f"Cannot tell the format of {path.name}; pass --format csv or --format jsonl.")


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def read(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    """(line number, event or the error that line has), in file order."""
    with path.open(newline="", encoding="utf-8") as f:
        yield from (_csv(f) if fmt == "csv" else _jsonl(f))


def _jsonl(lines) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, LineError(f"not JSON ({error.msg} at column {error.colno})")
            continue
        yield number, event if isinstance(event, dict) else LineError("not a JSON object")


def _csv(lines) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    reader = csv.DictReader(lines)
    for row in reader:
        number = reader.line_num
        try:
            yield number, _row(row)
        except LineError as error:
            yield number, error


def _row(row: dict[str, str | None]) -> dict[str, Any]:
    event: dict[str, Any] = {k: row[k] for k in FIELDS if row.get(k)}
    kind = (event.get("type") or "track").lower()
    bag = "traits" if kind == "identify" else "properties"
    extra: dict[str, Any] = {}
    for column in ("properties", "traits"):
        if row.get(column):
            try:
                value = json.loads(row[column] or "")
            except json.JSONDecodeError:
                raise LineError(f"the {column} column is not JSON") from None
            if not isinstance(value, dict):
                raise LineError(f"the {column} column must be a JSON object")
            extra.update(value)
    for column, value in row.items():
        if column and column not in FIELDS and column not in ("properties", "traits") and value:
            extra[column] = value
    event[bag] = extra
    return event
