"""The "Create action" modal: built from a draft (domain.action.views.draft), read back into
the create use case's arguments.

Title, owning team (the team owning the stage's touchpoints pre-selected), due date and the
observations it addresses (those the alert showed, or the one clicked, pre-selected). Where it
was opened from (journey, stage, alert, channel) rides in `private_metadata`; the use case
checks every id against the workspace, so a forged one is refused like an unknown one.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId
from bot.modal import OPTIONS_MAX, dump_metadata, load_metadata, state_values
from bot.text import PLAIN_TEXT_MAX, escape, shorten
from domain.action.service import TITLE_MAX
from domain.action.views import Draft
from domain.errors import ErrorCode, ValidationError

NO_TEAM = "none"
FIELD_BLOCKS = {
    "title": BlockId.ACTION_TITLE,
    "ownerTeamId": BlockId.ACTION_OWNER,
    "dueOn": BlockId.ACTION_DUE,
    "observationIds": BlockId.ACTION_OBSERVATIONS,
}


@dataclass(frozen=True)
class Origin:
    """Where the modal was opened from, kept in `private_metadata`."""

    journey_id: str
    stage_id: str | None = None
    alert_id: str | None = None
    channel_id: str | None = None

    def dump(self) -> str:
        return dump_metadata(self)

    @classmethod
    def load(cls, raw: str | None) -> "Origin":
        data = load_metadata(raw)

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            journey_id=text("journey_id") or "",
            stage_id=text("stage_id"),
            alert_id=text("alert_id"),
            channel_id=text("channel_id"),
        )


def _option(value: str, label: str) -> Option:
    return Option(value=value, label=shorten(" ".join(label.split()), PLAIN_TEXT_MAX))


def create_modal(draft: Draft, *, title: str = "", channel_id: str | None = None) -> dict:
    where = draft.journey.name + (f" › {draft.stage.name}" if draft.stage else "")
    origin = Origin(
        journey_id=str(draft.journey.id),
        stage_id=str(draft.stage.id) if draft.stage else None,
        alert_id=str(draft.alert_id) if draft.alert_id else None,
        channel_id=channel_id,
    )
    # "No team" and the teams, the default owner among them: the 100 options a select takes.
    shown = draft.teams[: OPTIONS_MAX - 1]
    if draft.owner and all(team.id != draft.owner.id for team in shown):
        shown = [*shown[:-1], draft.owner]
    teams = [_option(NO_TEAM, "No team"), *(_option(str(t.id), t.name) for t in shown)]
    owner = _option(str(draft.owner.id), draft.owner.name) if draft.owner else None
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"At *{escape(where)}*")]),
        InputBlock(
            block_id=BlockId.ACTION_TITLE,
            label="What will be done?",
            element=PlainTextInputElement(
                action_id=ActionId.ACTION_TITLE,
                max_length=TITLE_MAX,
                initial_value=shorten(title, TITLE_MAX) or None,
                placeholder="Show shipping costs on the product page",
            ),
        ),
        InputBlock(
            block_id=BlockId.ACTION_OWNER,
            label="Owning team",
            optional=True,
            hint="The team owning the stage's touchpoints, unless you choose another.",
            element=StaticSelectElement(
                action_id=ActionId.ACTION_OWNER, options=teams, initial_option=owner
            ),
        ),
        InputBlock(
            block_id=BlockId.ACTION_DUE,
            label="Due date",
            optional=True,
            element=DatePickerElement(action_id=ActionId.ACTION_DUE),
        ),
    ]
    if draft.observations:
        offered = [_option(str(o.id), o.text) for o in draft.observations]
        chosen = [o for o in offered if uuid.UUID(o.value) in set(draft.chosen)]
        blocks.append(
            InputBlock(
                block_id=BlockId.ACTION_OBSERVATIONS,
                label="Observations it addresses",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=ActionId.ACTION_OBSERVATIONS,
                    options=offered,
                    initial_options=chosen or None,
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=CallbackId.CREATE_ACTION,
        title="Create action",
        submit="Create",
        close="Cancel",
        private_metadata=origin.dump(),
        blocks=blocks,
    )
    return view.to_dict()


@dataclass(frozen=True)
class Form:
    """A submitted modal, as the create use case takes it."""

    journey_id: uuid.UUID
    stage_id: uuid.UUID | None
    alert_id: uuid.UUID | None
    title: str
    owner_team_id: uuid.UUID | None
    due_on: date | None
    observation_ids: list[uuid.UUID]
    channel_id: str | None


def _uuid(value: str | None, *, field: str, what: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(
            f"No {what} with that id exists in this workspace.",
            field=field,
            code=ErrorCode.NOT_FOUND,
        ) from None


def _input(values: dict[str, Any], block: BlockId) -> dict[str, Any]:
    for action in (values.get(block) or {}).values():
        return action
    return {}


def read(view: dict[str, Any]) -> Form:
    """The form's values; a ValidationError naming the field for what no form of ours holds
    (a team or observation that is no id, a date that is no date)."""
    values = state_values(view)
    origin = Origin.load(view.get("private_metadata"))
    owner = (_input(values, BlockId.ACTION_OWNER).get("selected_option") or {}).get("value")
    due = _input(values, BlockId.ACTION_DUE).get("selected_date")
    try:
        due_on = date.fromisoformat(due) if due else None
    except ValueError:
        raise ValidationError("Choose the due date in the calendar.", field="dueOn") from None
    chosen = _input(values, BlockId.ACTION_OBSERVATIONS).get("selected_options") or []
    observation_ids = [
        _uuid(option.get("value"), field="observationIds", what="observation") for option in chosen
    ]
    journey_id = _uuid(origin.journey_id, field="journeyId", what="journey")
    if journey_id is None:
        raise ValidationError("This form names no journey; open it again.", field="journeyId")
    return Form(
        journey_id=journey_id,
        stage_id=_uuid(origin.stage_id, field="stageId", what="stage"),
        alert_id=_uuid(origin.alert_id, field="alertId", what="alert"),
        title=_input(values, BlockId.ACTION_TITLE).get("value") or "",
        owner_team_id=None
        if owner in (None, NO_TEAM)
        else _uuid(owner, field="ownerTeamId", what="team"),
        due_on=due_on,
        observation_ids=[i for i in observation_ids if i is not None],
        channel_id=origin.channel_id,
    )


def error_block(view: dict[str, Any], field: str | None) -> str:
    """The block that shows a domain error on `field` (the title for what no input holds)."""
    wanted = FIELD_BLOCKS.get(field or "", BlockId.ACTION_TITLE)
    present = {block.get("block_id") for block in view.get("blocks") or []}
    return wanted if wanted in present else BlockId.ACTION_TITLE
