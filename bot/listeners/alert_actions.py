"""The alert message's buttons: acknowledge at once, then one use case, with the person who
clicked as the actor, in one transaction.

The use case queues the in-place update of the alert's messages in the outbox, so the message
changes through the dispatcher like every other alert message (and a burst of clicks costs one
chat.update). A repeated click changes nothing; only failures are answered, privately.
"""

import uuid
from collections.abc import Awaitable, Callable

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.alert_message import AlertButton
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from domain.alert import service as alert_service
from domain.alert.models import Alert
from domain.errors import DomainError

STALE = "That button belongs to no alert here; the message may be out of date."


def _acknowledge(session, person: Who, alert_id: uuid.UUID) -> Awaitable[Alert]:
    return alert_service.acknowledge(
        session,
        workspace_id=person.workspace_id,
        alert_id=alert_id,
        actor_id=person.user_id,
        actor_name=person.user_name,
    )


def _assign_to_me(session, person: Who, alert_id: uuid.UUID) -> Awaitable[Alert]:
    return alert_service.assign(
        session,
        workspace_id=person.workspace_id,
        alert_id=alert_id,
        assignee_id=person.user_id,
        assignee_name=person.user_name,
        actor_id=person.user_id,
        actor_name=person.user_name,
    )


def _mute_24h(session, person: Who, alert_id: uuid.UUID) -> Awaitable[Alert]:
    return alert_service.mute(
        session,
        workspace_id=person.workspace_id,
        alert_id=alert_id,
        actor_id=person.user_id,
        actor_name=person.user_name,
        hours=24,
    )


def _resolve(session, person: Who, alert_id: uuid.UUID) -> Awaitable[Alert]:
    return alert_service.resolve(
        session,
        workspace_id=person.workspace_id,
        alert_id=alert_id,
        actor_id=person.user_id,
        actor_name=person.user_name,
    )


USE_CASES: dict[AlertButton, Callable[..., Awaitable[Alert]]] = {
    AlertButton.ACKNOWLEDGE: _acknowledge,
    AlertButton.ASSIGN_TO_ME: _assign_to_me,
    AlertButton.MUTE_24H: _mute_24h,
    AlertButton.RESOLVE: _resolve,
}


async def clicked(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    use_case = USE_CASES[AlertButton(action["action_id"])]
    try:
        alert_id = uuid.UUID(str(action.get("value")))
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    try:
        async with person.runtime.db.begin() as session:
            await use_case(session, person, alert_id)
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
