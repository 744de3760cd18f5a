"""`/journey …` text → a command: a pure function, no Slack and no database.

Names with spaces need no quotes at the end of a command (`map Online purchase`); a journey
and a stage are separated by `>` (`subscribe Online purchase > checkout`); a touchpoint of
several words is quoted in `log "product page" …`.
"""

import re
from dataclasses import dataclass

from bot.text import unescape

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
STAGE_SEPARATOR = re.compile(r"\s*[>›]\s*")
TRAILING_TAG = re.compile(r"(?:^|\s)([#!])([A-Za-z][\w-]*)\s*$")
QUOTED = re.compile(r'^["“”\']([^"“”\']+)["“”\']\s*(.*)$', re.S)


@dataclass(frozen=True)
class Help:
    unknown: str | None = None  # the word we did not understand


@dataclass(frozen=True)
class OpenLogModal:
    pass


@dataclass(frozen=True)
class QuickLog:
    touchpoint: str  # the first word, or a "quoted phrase"
    text: str
    emotion: str | None = None
    kind: str | None = None
    quoted: bool = False  # unquoted, the touchpoint's name may go on into `text`


@dataclass(frozen=True)
class ShowMap:
    journey: str | None


@dataclass(frozen=True)
class ShowStage:
    name: str


@dataclass(frozen=True)
class SetTeam:
    name: str


@dataclass(frozen=True)
class Subscribe:
    journey: str
    stage: str | None


@dataclass(frozen=True)
class Unsubscribe:
    journey: str | None


@dataclass(frozen=True)
class ShowMetrics:
    journey: str | None
    stage: str | None
    days: int = 7
    public: bool = False


@dataclass(frozen=True)
class ShowAlerts:
    journey: str | None


@dataclass(frozen=True)
class AddAlertRule:
    journey: str
    stage: str | None


@dataclass(frozen=True)
class RemoveAlertRule:
    journey: str
    stage: str | None


@dataclass(frozen=True)
class CreateAction:
    title: str
    at: str | None  # a stage (or journey) in people's words


@dataclass(frozen=True)
class ShowActions:
    of: str | None  # a journey or a team


Command = (
    Help
    | OpenLogModal
    | QuickLog
    | ShowMap
    | ShowStage
    | SetTeam
    | Subscribe
    | Unsubscribe
    | ShowMetrics
    | ShowAlerts
    | AddAlertRule
    | RemoveAlertRule
    | CreateAction
    | ShowActions
)


def _first(rest: str) -> tuple[str, str, bool]:
    """The first word (or "quoted phrase"), what follows, and whether it was quoted."""
    quoted = QUOTED.match(rest)
    if quoted:
        return quoted.group(1).strip(), quoted.group(2).strip(), True
    word, _, tail = rest.partition(" ")
    return word, tail.strip(), False


def _journey_and_stage(rest: str) -> tuple[str | None, str | None]:
    parts = STAGE_SEPARATOR.split(rest, maxsplit=1)
    journey = parts[0].strip() or None
    stage = parts[1].strip() or None if len(parts) > 1 else None
    return journey, stage


def _quick_log(rest: str) -> QuickLog:
    touchpoint, text, quoted = _first(rest)
    tags: dict[str, str] = {}
    # Trailing `#emotion` and `!kind` only: a "#1" or "!" inside the text stays text.
    while (tag := TRAILING_TAG.search(text)) and tag.group(1) not in tags:
        tags[tag.group(1)] = tag.group(2)
        text = text[: tag.start()]
    return QuickLog(
        touchpoint=touchpoint,
        text=text.strip(),
        emotion=tags.get("#"),
        kind=tags.get("!"),
        quoted=quoted,
    )


def _metrics(rest: str) -> ShowMetrics:
    words = rest.split()
    days, public = 7, False
    while words and (words[-1].lower() in PERIODS or words[-1].lower() == "public"):
        word = words.pop().lower()
        if word == "public":
            public = True
        else:
            days = PERIODS[word]
    journey, stage = _journey_and_stage(" ".join(words))
    return ShowMetrics(journey=journey, stage=stage, days=days, public=public)


def _alerts(rest: str) -> ShowAlerts | AddAlertRule | RemoveAlertRule:
    verb, _, tail = rest.partition(" ")
    if verb.lower() in ("add", "remove"):
        journey, stage = _journey_and_stage(tail.strip())
        rule = AddAlertRule if verb.lower() == "add" else RemoveAlertRule
        return rule(journey=journey or "", stage=stage)
    return ShowAlerts(journey=rest or None)


def _create_action(rest: str) -> CreateAction:
    """`Show shipping costs at checkout`: the last ` at ` starts the place (the title may hold
    an earlier one, and the form lets the person fix either)."""
    if rest.lower().startswith("at "):
        return CreateAction(title="", at=rest[3:].strip() or None)
    title, separator, at = rest.rpartition(" at ")
    if not separator:
        return CreateAction(title=rest, at=None)
    return CreateAction(title=title.strip(), at=at.strip() or None)


def parse(text: str) -> Command:
    """What the person asked for; anything not understood is Help naming the word."""
    text = unescape(text or "").strip()
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("", "help"):
        return Help()
    if word == "log":
        return _quick_log(rest) if rest else OpenLogModal()
    if word == "map":
        return ShowMap(journey=rest or None)
    if word == "stage":
        return ShowStage(name=rest)
    if word == "team":
        return SetTeam(name=rest)
    if word == "subscribe":
        journey, stage = _journey_and_stage(rest)
        return Subscribe(journey=journey or "", stage=stage)
    if word == "unsubscribe":
        return Unsubscribe(journey=rest or None)
    if word == "metrics":
        return _metrics(rest)
    if word == "alerts":
        return _alerts(rest)
    if word == "action":
        return _create_action(rest)
    if word == "actions":
        return ShowActions(of=rest or None)
    return Help(unknown=word)
