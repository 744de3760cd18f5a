"""The alert message's buttons and mute menu: acknowledge at once, then one use case, with the
person who clicked as the actor, in one transaction.

The use case queues the in-place update of the alert's messages in the outbox, so the message
changes through the dispatcher like every other alert message (and a burst of clicks costs one
chat.update). A repeated click changes nothing; only failures are answered, privately.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.alert_message import AlertButton, read_mute_value
from bot.listeners.reply import Reply, send
from bot.middleware import who
from domain.alert import service as alert_service
from domain.alert.models import Alert
from domain.errors import DomainError

STALE = "That button belongs to no alert here; the message may be out of date."
LEGACY_MUTE_HOURS = 24  # what the fixed "Mute 24 h" button of older messages meant


USE_CASES: dict[AlertButton, Callable[..., Awaitable[Alert]]] = {
    AlertButton.ACKNOWLEDGE: alert_service.acknowledge,
    AlertButton.ASSIGN_TO_ME: alert_service.assign,
    AlertButton.MUTE: alert_service.mute,
    AlertButton.MUTE_24H: alert_service.mute,
    AlertButton.RESOLVE: alert_service.resolve,
}


def _target(button: AlertButton, action: dict[str, Any]) -> tuple[uuid.UUID, dict[str, Any]]:
    """The alert the click is about, and what it asks beyond "this alert, by this person"
    (ValueError when the payload names no alert). A button carries the alert id as its value;
    the mute menu's chosen option (`selected_option`) carries the hours too."""
    if button is AlertButton.MUTE:
        hours, alert_id = read_mute_value(str((action.get("selected_option") or {}).get("value")))
        return alert_id, {"hours": hours}
    alert_id = uuid.UUID(str(action.get("value")))
    return alert_id, {"hours": LEGACY_MUTE_HOURS} if button is AlertButton.MUTE_24H else {}


async def clicked(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    button = AlertButton(action["action_id"])
    try:
        alert_id, arguments = _target(button, action)
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    name = await person.name()
    if button is AlertButton.ASSIGN_TO_ME:
        arguments = {"assignee_id": person.user_id, "assignee_name": name}
    try:
        async with person.runtime.transaction() as session:
            await USE_CASES[button](
                session,
                workspace_id=person.workspace_id,
                alert_id=alert_id,
                actor_id=person.user_id,
                actor_name=name,
                **arguments,
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
