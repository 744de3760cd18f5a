"""The "Log observation" modal: built from what is known, read back into use-case arguments.

Journey, stage and touchpoint are external selects (type-ahead, options loaded from the
map as the person types) that narrow each other: stage options follow the journey, touchpoint
options the journey and stage. Choosing a journey re-keys the blocks below it (`rev`), which
clears a stage or touchpoint picked for another journey.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId
from bot.text import PLAIN_TEXT_MAX, shorten
from domain.persona.models import Persona
from domain.team.models import Team
from domain.validation import TEXT_MAX
from domain.vocabulary import Emotion, ObservationKind

OPTIONS_MAX = 100
SENTIMENTS = {
    "-2": "very negative",
    "-1": "negative",
    "0": "neutral",
    "1": "positive",
    "2": "very positive",
}
FIELD_BLOCKS = {
    "text": BlockId.TEXT,
    "kind": BlockId.KIND,
    "emotion": BlockId.EMOTION,
    "sentiment": BlockId.SENTIMENT,
    "touchpoint": BlockId.TOUCHPOINT,
    "touchpointId": BlockId.TOUCHPOINT,
    "stageId": BlockId.STAGE,
    "team": BlockId.TEAM,
    "authorTeamId": BlockId.TEAM,
    "personaId": BlockId.PERSONA,
}


@dataclass(frozen=True)
class Context:
    """What the modal keeps in `private_metadata` between opening and submitting."""

    channel_id: str | None = None
    permalink: str | None = None
    rev: int = 0

    def dump(self) -> str:
        return dump_metadata(self)

    @classmethod
    def load(cls, raw: str | None) -> "Context":
        """What `dump` kept; anything else in `private_metadata` is ignored."""
        data = load_metadata(raw)
        channel_id, permalink, rev = data.get("channel_id"), data.get("permalink"), data.get("rev")
        return cls(
            channel_id=channel_id if isinstance(channel_id, str) else None,
            permalink=permalink if isinstance(permalink, str) else None,
            rev=rev if isinstance(rev, int) and not isinstance(rev, bool) else 0,
        )


def dump_metadata(kept: object) -> str:
    """A dataclass's set fields as a view's `private_metadata`."""
    return json.dumps({k: v for k, v in kept.__dict__.items() if v is not None})


def load_metadata(raw: str | None) -> dict[str, Any]:
    """A view's `private_metadata` as a dict; anything unreadable (it comes back from Slack
    as we sent it, but a forged payload can hold anything) reads as empty."""
    try:
        data = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def option(value: str, text: str) -> Option:
    return Option(value=value, label=shorten(text, PLAIN_TEXT_MAX))


def _label(value: str) -> str:
    return value.replace("_", " ")


def log_modal(
    context: Context,
    *,
    text: str = "",
    teams: Sequence[Team] | None = None,
    personas: Sequence[Persona] = (),
) -> dict[str, Any]:
    """The modal; `teams` adds a "your team" picker for someone who has not said yet;
    `personas` (the workspace's, when it has any) an "about" picker, so the map can show the
    emotions of one persona."""
    rev = context.rev
    blocks: list[Block] = []
    if context.permalink:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"From <{context.permalink}|this message>")]
            )
        )
    blocks += [
        InputBlock(
            block_id=BlockId.JOURNEY,
            label="Journey",
            optional=True,
            dispatch_action=True,
            element=ExternalDataSelectElement(
                action_id=ActionId.JOURNEY,
                placeholder="Type to search",
                min_query_length=0,
            ),
        ),
        InputBlock(
            block_id=f"{BlockId.STAGE}.{rev}",
            label="Stage",
            optional=True,
            hint="Or leave it to the touchpoint.",
            element=ExternalDataSelectElement(
                action_id=ActionId.STAGE, placeholder="Type to search", min_query_length=0
            ),
        ),
        InputBlock(
            block_id=f"{BlockId.TOUCHPOINT}.{rev}",
            label="Touchpoint",
            optional=True,
            element=ExternalDataSelectElement(
                action_id=ActionId.TOUCHPOINT, placeholder="Type to search", min_query_length=0
            ),
        ),
        InputBlock(
            block_id=BlockId.KIND,
            label="Kind",
            element=StaticSelectElement(
                action_id=ActionId.KIND,
                options=[option(k.value, _label(k.value)) for k in ObservationKind],
                initial_option=option(ObservationKind.INSIGHT.value, "insight"),
            ),
        ),
        InputBlock(
            block_id=BlockId.EMOTION,
            label="The customer's emotion",
            optional=True,
            element=StaticSelectElement(
                action_id=ActionId.EMOTION,
                options=[option(e.value, _label(e.value)) for e in Emotion],
            ),
        ),
        InputBlock(
            block_id=BlockId.SENTIMENT,
            label="Sentiment",
            optional=True,
            element=StaticSelectElement(
                action_id=ActionId.SENTIMENT,
                options=[option(value, text) for value, text in SENTIMENTS.items()],
            ),
        ),
        *_persona_picker(personas),
        InputBlock(
            block_id=BlockId.TEXT,
            label="What did you see?",
            element=PlainTextInputElement(
                action_id=ActionId.TEXT,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=shorten(text, TEXT_MAX) or None,
            ),
        ),
    ]
    if teams:  # a select without options is an invalid view; without teams the log explains
        blocks.append(
            InputBlock(
                block_id=BlockId.TEAM,
                label="Your team (asked once)",
                element=StaticSelectElement(
                    action_id=ActionId.TEAM,
                    options=[option(str(t.id), t.name) for t in teams[:OPTIONS_MAX]],
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=CallbackId.LOG_MODAL,
        title="Log observation",
        submit="Log",
        close="Cancel",
        private_metadata=context.dump(),
        blocks=blocks,
    )
    return view.to_dict()


def _persona_picker(personas: Sequence[Persona]) -> list[Block]:
    if not personas:  # a select without options is an invalid view
        return []
    return [
        InputBlock(
            block_id=BlockId.PERSONA,
            label="About which customers",
            optional=True,
            hint="Leave it empty when it is about all customers.",
            element=StaticSelectElement(
                action_id=ActionId.PERSONA,
                placeholder="All customers",
                options=[option(str(p.id), p.name) for p in personas[:OPTIONS_MAX]],
            ),
        )
    ]


@dataclass(frozen=True)
class Submission:
    journey_id: uuid.UUID | None
    stage_id: uuid.UUID | None
    touchpoint_id: uuid.UUID | None
    kind: str
    emotion: str | None
    sentiment: int | None
    text: str
    team_id: uuid.UUID | None
    persona_id: uuid.UUID | None


def state_values(view: dict[str, Any] | None) -> dict[str, Any]:
    """What the inputs of a view hold, by block id (bot.payload has checked their types)."""
    return ((view or {}).get("state") or {}).get("values") or {}


def selected(values: dict[str, Any], block: BlockId) -> str | None:
    """The chosen value of a block, whatever its current `rev` suffix."""
    for block_id, actions in values.items():
        if block_id.split(".")[0] == block:
            for action in actions.values():
                chosen = action.get("selected_option")
                if chosen:
                    return chosen["value"]
                if action.get("value") is not None:
                    return action["value"]
    return None


def as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def read(view: dict[str, Any]) -> Submission:
    values = state_values(view)
    sentiment = selected(values, BlockId.SENTIMENT)
    return Submission(
        journey_id=as_uuid(selected(values, BlockId.JOURNEY)),
        stage_id=as_uuid(selected(values, BlockId.STAGE)),
        touchpoint_id=as_uuid(selected(values, BlockId.TOUCHPOINT)),
        kind=selected(values, BlockId.KIND) or ObservationKind.INSIGHT.value,
        emotion=selected(values, BlockId.EMOTION),
        sentiment=int(sentiment) if sentiment in SENTIMENTS else None,
        text=selected(values, BlockId.TEXT) or "",
        team_id=as_uuid(selected(values, BlockId.TEAM)),
        persona_id=as_uuid(selected(values, BlockId.PERSONA)),
    )


def error_block(view: dict[str, Any], field: str | None) -> str:
    """The block id (with its current rev) that shows a domain error on `field`."""
    wanted = FIELD_BLOCKS.get(field or "", BlockId.TEXT)
    for block in view.get("blocks") or []:
        block_id = block.get("block_id") or ""
        if block_id.split(".")[0] == wanted:
            return block_id
    return BlockId.TEXT


def options(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options for an external select (labels are plain text: nothing to escape)."""
    return [option(value, text).to_dict() for value, text in pairs[:OPTIONS_MAX]]


def rekeyed(view: dict[str, Any], journey: dict[str, Any] | None) -> dict[str, Any]:
    """The open modal after a journey was chosen: that journey kept, stage and touchpoint
    blocks given fresh ids (clearing choices made for another journey), the rest untouched."""
    context = Context.load(view.get("private_metadata"))
    rev = context.rev + 1
    blocks = []
    for block in view.get("blocks") or []:
        block = json.loads(json.dumps(block))
        base = (block.get("block_id") or "").split(".")[0]
        if base in (BlockId.STAGE, BlockId.TOUCHPOINT):
            block["block_id"] = f"{base}.{rev}"
        element = block.get("element")
        if base == BlockId.JOURNEY and isinstance(element, dict):
            element.pop("initial_option", None)
            if journey:
                element["initial_option"] = journey
        blocks.append(block)
    updated = Context(
        channel_id=context.channel_id,
        permalink=context.permalink,
        rev=rev,
    )
    return {
        "type": "modal",
        "callback_id": view.get("callback_id", CallbackId.LOG_MODAL),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "private_metadata": updated.dump(),
        "blocks": blocks,
    }
