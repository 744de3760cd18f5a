"""`/journey log <touchpoint> <text> [#emotion] [!kind]`: log in one line.

The touchpoint is looked up forgivingly; when several fit (or none, but some come close) the
person gets buttons that log on click. The command's trigger id is the idempotency key, so a
double click, or a click on a second candidate, logs once.
"""

import json
import uuid
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.commands import QuickLog
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from bot.text import quote
from domain import matching
from domain.errors import DomainError
from domain.observation import flows


async def _log(person: Who, pending: dict[str, Any], touchpoint: str | uuid.UUID) -> Reply:
    async with person.runtime.db.begin() as session:
        logged = await flows.log_as_member(
            session,
            workspace_id=person.workspace_id,
            author_id=person.user_id,
            author_name=person.user_name,
            text=pending["text"],
            kind=pending.get("kind"),
            emotion=pending.get("emotion"),
            touchpoint=touchpoint,
            idempotency_key=pending["key"],
        )
    return Reply(
        blocks.logged_message(logged.observation, logged.where, logged.team_name),
        f"Logged at {logged.where}",
    )


def _error(message: str, text: str) -> Reply:
    """The error, with the person's text echoed so that nothing typed is lost."""
    shown = blocks.error_message(message)
    if text:
        shown += blocks.plain_message(f"Your text:\n>{quote(text, 2800)}")
    return Reply(shown, message)


async def log(command: QuickLog, person: Who, *, key: str) -> Reply:
    pending = {"text": command.text, "emotion": command.emotion, "kind": command.kind, "key": key}
    try:
        return await _log(person, pending, command.touchpoint)
    except matching.Ambiguous as error:
        return Reply(
            blocks.touchpoint_choices(error.message, error.candidates, pending), error.message
        )
    except matching.Unknown as error:
        if not error.suggestions:
            return _error(error.message, command.text)
        return Reply(
            blocks.touchpoint_choices(error.message, error.suggestions, pending), error.message
        )
    except DomainError as error:
        return _error(error.message, command.text)


async def pick_touchpoint(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    try:
        pending = json.loads(action["value"])
        touchpoint = uuid.UUID(pending.pop("touchpoint"))
    except (ValueError, KeyError, TypeError):
        await send(respond, _error("That button is stale; log again.", ""))
        return
    try:
        reply = await _log(person, pending, touchpoint)
    except DomainError as error:
        await send(respond, _error(error.message, pending.get("text", "")))
        return
    await send(respond, reply, replace_original=True)
