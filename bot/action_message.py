"""An action as Slack shows it: pure functions from domain.action.views to text and blocks.

Its post in the owning team's channel is rendered when delivered, as alert posts are, so the
post and each in-place update show the action as it is then, with the buttons its status
still allows (Start, Done, Drop; none once done or dropped). Lists (`/journey actions`, App
Home, the weekly digest) share `status_sections`. Every piece of user text is escaped.
"""

import uuid
from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
)

from bot.blocks import Blocks, fit, lines_within, section
from bot.text import escape, quote
from domain.action.lifecycle import ALLOWED, WORDS
from domain.action.views import STATUS_ORDER, ActionLine, ActionMessage, ActionsByStatus
from domain.vocabulary import ActionStatus


class ActionButton(StrEnum):
    """The buttons on an action's message: each moves it to one status."""

    START = "action_start"
    DONE = "action_done"
    DROP = "action_drop"


MOVES = {
    ActionButton.START: ActionStatus.IN_PROGRESS,
    ActionButton.DONE: ActionStatus.DONE,
    ActionButton.DROP: ActionStatus.DROPPED,
}
BUTTON_TEXT = {ActionButton.START: "Start", ActionButton.DONE: "Done", ActionButton.DROP: "Drop"}
EMOJI = {
    ActionStatus.OPEN: ":white_circle:",
    ActionStatus.IN_PROGRESS: ":large_blue_circle:",
    ActionStatus.DONE: ":white_check_mark:",
    ActionStatus.DROPPED: ":heavy_minus_sign:",
}
HEADINGS = {
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.OPEN: "Open",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}


def read_button_value(value: str | None) -> uuid.UUID:
    """The action a button names; ValueError when it names none."""
    return uuid.UUID(str(value))


def _owner_and_due(line: ActionLine) -> str:
    action = line.action
    parts = [f"owned by *{escape(line.owner_name)}*" if line.owner_name else "no owner yet"]
    if action.due_on:
        parts.append(f"due {action.due_on:%b %-d, %Y}")
    return " · ".join(parts)


def list_line(line: ActionLine) -> str:
    """One action in a list: title, where, owner, due date."""
    return f"• *{quote(line.action.title, 200)}* at {escape(line.where)} · {_owner_and_due(line)}"


def status_sections(actions: ActionsByStatus) -> list[Block]:
    """A section per status that holds actions, in STATUS_ORDER, with "…and N more"."""
    blocks: list[Block] = []
    for status in STATUS_ORDER:
        total = actions.totals[status]
        if not total:
            continue
        lines = [f"{EMOJI[status]} *{HEADINGS[status]}* ({total})"]
        lines += [list_line(line) for line in actions.groups[status]]
        blocks.append(section(lines_within(lines, total=1 + total)))
    return blocks


def _status(shown: ActionMessage) -> str:
    action = shown.line.action
    words = WORDS[action.status].capitalize()
    if action.status is ActionStatus.OPEN:
        by = f"created by {escape(action.created_by_name)}" if action.created_by_name else ""
    else:
        by = f"by {escape(shown.moved_by)}" if shown.moved_by else ""
    return f"{EMOJI[action.status]} {words}" + (f" {by}" if by else "")


def summary(shown: ActionMessage) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    line = shown.line
    return (
        f"Action for {escape(line.owner_name or 'no team')}: {quote(line.action.title, 200)} "
        f"({WORDS[line.action.status]})"
    )


def render(shown: ActionMessage) -> tuple[str, Blocks]:
    """The action's message in its current state, with the buttons its status allows."""
    line, action = shown.line, shown.line.action
    blocks: list[Block] = [
        section(
            f":hammer_and_wrench: *{quote(action.title, 200)}*\nat {escape(line.where)} · "
            f"{_owner_and_due(line)}"
        )
    ]
    if action.description:
        blocks.append(section(quote(action.description, 1000)))
    if shown.addressed:
        quoted = [f"• “{quote(o.text, 300)}” — {escape(o.author_name)}" for o in shown.addressed]
        blocks.append(
            section(
                "*What it addresses*\n" + lines_within(quoted, 2800, total=shown.addressed_total)
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_status(shown))]))
    buttons = [
        ButtonElement(
            text=BUTTON_TEXT[button],
            action_id=button,
            value=str(action.id),
            style="primary" if button is ActionButton.DONE else None,
        )
        for button, status in MOVES.items()
        if status in ALLOWED[action.status]
    ]
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return summary(shown), fit(blocks)


def actions_message(actions: ActionsByStatus, of: str) -> Blocks:
    """`/journey actions`: the actions of a journey, a team or the workspace by status."""
    blocks: list[Block] = [section(f"*Actions {escape(of)}*")]
    blocks += status_sections(actions) or [
        section("No actions yet. `/journey action &lt;title&gt; at &lt;stage&gt;` creates one.")
    ]
    return fit(blocks)


def created_message(line: ActionLine) -> Blocks:
    """The confirmation to the person who created an action."""
    posted = (
        f" It is posted in <#{line.owner_channel_id}>, where its buttons move it along."
        if line.owner_channel_id
        else " Its owning team has no channel, so nobody was told; `/journey actions` lists it."
    )
    return fit(
        [
            section(
                f":white_check_mark: Created *{quote(line.action.title, 200)}* at "
                f"{escape(line.where)} · {_owner_and_due(line)}.{posted}"
            )
        ]
    )
