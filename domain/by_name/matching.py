"""Forgiving lookup of things people name in chat: by key or name, any case, small typos.

Pure functions: the use cases load the candidates, this decides which one was meant.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, TypeVar

from domain.errors import ErrorCode, NotFound, ValidationError

T = TypeVar("T")

TYPO_RATIO = 0.8  # "chekout" ~ "checkout" (0.93); "cart" vs "chat" (0.5) stays apart
SUGGESTION_RATIO = 0.4
SUGGESTIONS_MAX = 5


@dataclass(frozen=True)
class Match(Generic[T]):
    """The one item meant, or equally likely `candidates`, or the closest `suggestions`."""

    found: T | None = None
    candidates: list[T] = field(default_factory=list)
    suggestions: list[T] = field(default_factory=list)


class Ambiguous(ValidationError, Generic[T]):
    code = ErrorCode.AMBIGUOUS

    def __init__(self, message: str, *, candidates: list[T], field: str | None = None):
        super().__init__(message, field=field)
        self.candidates = candidates


class Unknown(NotFound, Generic[T]):
    def __init__(self, message: str, *, suggestions: list[T], field: str | None = None):
        super().__init__(message, field=field)
        self.suggestions = suggestions


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching names that contain `text` (its % and _ taken literally)."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def normalise(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


def _similarity(query: str, names: Iterable[str]) -> float:
    return max((SequenceMatcher(None, query, name).ratio() for name in names), default=0.0)


def match(query: str, items: Sequence[T], names: Callable[[T], Iterable[str]]) -> Match[T]:
    """Exact (normalised) names win; then names starting with the query; then small typos."""
    wanted = normalise(query)
    if not wanted:
        return Match(suggestions=list(items[:SUGGESTIONS_MAX]))
    named = [(item, [normalise(name) for name in names(item)]) for item in items]
    for rule in (
        lambda item_names: wanted in item_names,
        lambda item_names: len(wanted) >= 3 and any(n.startswith(wanted) for n in item_names),
        lambda item_names: _similarity(wanted, item_names) >= TYPO_RATIO,
    ):
        hits = [item for item, item_names in named if rule(item_names)]
        if len(hits) == 1:
            return Match(found=hits[0])
        if hits:
            return Match(candidates=hits)
    scored = sorted(
        ((_similarity(wanted, item_names), index) for index, (_, item_names) in enumerate(named)),
        reverse=True,
    )
    return Match(
        suggestions=[
            named[i][0] for score, i in scored[:SUGGESTIONS_MAX] if score >= SUGGESTION_RATIO
        ]
    )


def one(
    query: str,
    items: Sequence[T],
    names: Callable[[T], Iterable[str]],
    *,
    label: str,
    field: str,
    describe: Callable[[T], str],
) -> T:
    """The item `query` names, or Ambiguous / Unknown errors that say what to type instead."""
    result = match(query, items, names)
    if result.found is not None:
        return result.found
    if result.candidates:
        listed = ", ".join(describe(item) for item in result.candidates[:SUGGESTIONS_MAX])
        raise Ambiguous(
            f"“{query}” could be several {label}s: {listed}. Be more specific.",
            candidates=result.candidates,
            field=field,
        )
    hint = (
        " Did you mean " + ", ".join(describe(item) for item in result.suggestions) + "?"
        if result.suggestions
        else ""
    )
    raise Unknown(
        f"No {label} is called “{query}”.{hint}", suggestions=result.suggestions, field=field
    )
