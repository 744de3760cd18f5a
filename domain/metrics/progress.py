"""How far one customer got in one journey, from the events that reached its stages. Pure.

A customer reaches stage i at the earliest event mapped to a touchpoint of i (ties: the
smallest messageId, which also names the entry touchpoint). Their conversion out of stage i is
the first event of any later stage at or after that entry; whether it falls inside the
conversion window, and before the evaluation time, is decided when metrics are read.
"""

import operator
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple


class Reach(NamedTuple):
    """One event mapped to a touchpoint of a stage (at `position` in the journey).

    Named tuples, not frozen dataclasses: the fold makes one per event and they cost a third."""

    stage_id: uuid.UUID
    position: int
    touchpoint_id: uuid.UUID
    at: datetime
    message_id: str


# Reaches in time order, ties by messageId: (at, message_id), without a Python call per reach.
BY_TIME = operator.itemgetter(3, 4)


class Progress(NamedTuple):
    stage_id: uuid.UUID
    entered_at: datetime
    entry_touchpoint_id: uuid.UUID
    last_reached_at: datetime
    converted_at: datetime | None


def from_reaches(reaches: Iterable[Reach]) -> dict[uuid.UUID, Progress]:
    """Each reached stage's progress, from every event of the customer in the journey."""
    ordered = sorted(reaches, key=BY_TIME)
    first: dict[uuid.UUID, Reach] = {}
    last: dict[uuid.UUID, datetime] = {}
    for reach in ordered:
        first.setdefault(reach.stage_id, reach)
        last[reach.stage_id] = reach.at
    progress = {}
    for stage_id, entry in first.items():
        converted_at = next(
            (r.at for r in ordered if r.position > entry.position and r.at >= entry.at), None
        )
        progress[stage_id] = Progress(
            stage_id, entry.at, entry.touchpoint_id, last[stage_id], converted_at
        )
    return progress


def advance(
    current: Mapping[uuid.UUID, Progress],
    positions: Mapping[uuid.UUID, int],
    new: list[Reach],
) -> dict[uuid.UUID, Progress] | None:
    """The progress after `new` events that are all later than anything seen before, or None
    when some are not (late or out of order): then only the full history gives the answer."""
    if not new:
        return dict(current)
    if current and min(r.at for r in new) <= max(p.last_reached_at for p in current.values()):
        return None
    ordered = sorted(new, key=BY_TIME)
    updated = {}
    for stage_id, progress in current.items():
        position = positions[stage_id]
        latest = max((r.at for r in ordered if r.stage_id == stage_id), default=None)
        converted_at = progress.converted_at or next(
            (r.at for r in ordered if r.position > position), None
        )
        updated[stage_id] = Progress(
            stage_id,
            progress.entered_at,
            progress.entry_touchpoint_id,
            latest or progress.last_reached_at,
            converted_at,
        )
    entries = from_reaches(r for r in ordered if r.stage_id not in current)
    for stage_id, entry in entries.items():
        position, entered_at = positions[stage_id], entry.entered_at
        converted_at = next(
            (r.at for r in ordered if r.position > position and r.at >= entered_at), None
        )
        updated[stage_id] = Progress(
            stage_id, entered_at, entry.entry_touchpoint_id, entry.last_reached_at, converted_at
        )
    return updated
