"""What a query selects under the field being resolved, so that a resolver can leave out work
nobody asked for (stage metrics without times to convert or reach). Fragments included; a
field under @skip or @include counts as selected (computed for nothing, never missing)."""

from collections.abc import Iterable
from typing import Any

from graphql_api.context import Info


def _names(selections: Iterable[Any]) -> Iterable[str]:
    for selection in selections:
        name = getattr(selection, "name", None)
        if name is not None and hasattr(selection, "arguments"):  # a field, not a fragment
            yield name
        yield from _names(getattr(selection, "selections", ()))


def selects(info: Info, *names: str) -> bool:
    """Whether any field called one of `names` (GraphQL names) is selected below this one."""
    wanted = set(names)
    return any(name in wanted for name in _names(info.selected_fields))
