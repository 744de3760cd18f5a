"""The alert message's buttons: acknowledge at once, then one use case, with the person who
clicked as the actor, in one transaction.

The use case queues the in-place update of the alert's messages in the outbox, so the message
changes through the dispatcher like every other alert message (and a burst of clicks costs one
chat.update). A repeated click changes nothing; only failures are answered, privately.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.alert_message import AlertButton
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from domain.alert import service as alert_service
from domain.alert.models import Alert
from domain.errors import DomainError

STALE = "That button belongs to no alert here; the message may be out of date."


USE_CASES: dict[AlertButton, Callable[..., Awaitable[Alert]]] = {
    AlertButton.ACKNOWLEDGE: alert_service.acknowledge,
    AlertButton.ASSIGN_TO_ME: alert_service.assign,
    AlertButton.MUTE_24H: alert_service.mute,
    AlertButton.RESOLVE: alert_service.resolve,
}


def _arguments(button: AlertButton, person: Who) -> dict[str, Any]:
    """What the button means beyond "this alert, by this person"."""
    if button is AlertButton.ASSIGN_TO_ME:
        return {"assignee_id": person.user_id, "assignee_name": person.user_name}
    if button is AlertButton.MUTE_24H:
        return {"hours": 24}
    return {}


async def clicked(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    button = AlertButton(action["action_id"])
    try:
        alert_id = uuid.UUID(str(action.get("value")))
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    try:
        async with person.runtime.db.begin() as session:
            await USE_CASES[button](
                session,
                workspace_id=person.workspace_id,
                alert_id=alert_id,
                actor_id=person.user_id,
                actor_name=person.user_name,
                **_arguments(button, person),
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
