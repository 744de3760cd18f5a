"""rollup triggers planned at each call: the rollup trigger functions that join their rollup
table run that statement with EXECUTE, planned for the rows the call changed, and return at once
when it changed none

PL/pgSQL plans a statement without parameters once per connection, at its first call, and keeps
that plan. The fold's upserts (a customer's rows following a new persona, stored progress that
advanced) fire the insert triggers with an empty transition table, and a rollup table analyzed
while still empty is estimated empty: a connection whose first call was such kept a plan for
one row against an empty table, a nested loop scanning the whole rollup table for each changed
cell, while both grew. Folding 200k events of customers with personas, the persona stage
trigger alone cost 14.3 µs of PostgreSQL's time an event (the plain one 2.5 µs), 730 ms of one
call spent joining 1,617 rollup rows to 1,470 changed cells one pair at a time.

Each trigger function of 0010 and 0017 (as 0020 restated those that write an empty histogram)
whose statement joins its rollup table keeps its lock and its statement as they were: the
statement is run by EXECUTE, planned for the call's own transition tables and the rollup tables
as they are, about half a millisecond each call; a call whose statement changed no rows (the
lock finds no workspace) plans nothing. The touchpoint functions for inserts and updates reach
their rollup rows through ON CONFLICT alone and stay as they were.
tests/domain/metrics/test_rollup_functions.py holds the database to this text.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:30:00.000000
"""

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCKED = ") w;\n\n"  # the end of the lock, which every trigger function takes first
RETURN = ";\n    RETURN NULL;\nEND\n"  # the end of its one statement


def _migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RESTATING = _migration("0020_histogram_bytes")  # the last to restate them, and how


def _triggers_as_of_0020() -> dict[str, tuple[str, str, str]]:
    """The rollup trigger functions as the database holds them before this migration."""
    functions = {
        **_migration("0010_rollup_functions_as_text").FUNCTIONS,
        **_migration("0017_persona_rollups").FUNCTIONS,
        **RESTATING.FUNCTIONS,
    }
    return {name: spec for name, spec in functions.items() if spec[1] == "trigger"}


def _joins_its_rollup(body: str) -> bool:
    """Whether the statement updates rollup rows it joins to the changed cells (every stage
    function, and the touchpoint ones for deletes), which a plan made for too few rows does
    by scanning the rollup table for each cell. The touchpoint functions for inserts and
    updates reach their rows through ON CONFLICT alone, whose plan no estimate spoils."""
    return re.search(r"\bUPDATE (stage|touchpoint)(_persona)?_day s\b", body) is not None


def planned_each_call(body: str) -> str:
    """A trigger function's body with its statement run by EXECUTE, skipped when the lock found
    no changed rows."""
    lock, locked, rest = body.partition(LOCKED)
    statement, returned, _ = rest.rpartition(RETURN)
    assert locked and returned and "$statement$" not in statement, "not a rollup trigger"
    return (
        f"{lock}{LOCKED.rstrip()}\n"
        "    IF NOT FOUND THEN  -- nothing changed\n"
        "        RETURN NULL;\n"
        "    END IF;\n\n"
        f"    EXECUTE $statement${statement.strip()}$statement$"
        f"{RETURN}"
    )


# name: (arguments, what it returns, body)
FUNCTIONS = {
    name: (arguments, returns, planned_each_call(body))
    for name, (arguments, returns, body) in _triggers_as_of_0020().items()
    if _joins_its_rollup(body)
}


def upgrade() -> None:
    RESTATING._replace(FUNCTIONS)


def downgrade() -> None:
    RESTATING._replace({name: _triggers_as_of_0020()[name] for name in FUNCTIONS})
