"""The "+1 Same as this" buttons under a just-logged observation: the copy becomes the
person's +1 on the earlier observation, once whatever the clicks or retries
(domain.mention.service.same_as), and the message says how often the problem was raised."""

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.listeners.reply import Reply, send
from bot.middleware import who
from domain.errors import DomainError
from domain.mention import service as mention_service

STALE = "That button names no observation here; the message may be out of date."


async def clicked(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    try:
        earlier_id, copy_id = blocks.read_same_as_value(action.get("value"))
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    try:
        async with person.runtime.transaction() as session:
            earlier = await mention_service.same_as(
                session,
                workspace_id=person.workspace_id,
                observation_id=earlier_id,
                copy_id=copy_id,
                author_id=person.user_id,
                author_name=await person.name(),
            )
            raised = await mention_service.raised(
                session, workspace_id=person.workspace_id, observation_ids=[earlier.id]
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
        return
    counted = blocks.counted_message(earlier, str(raised[earlier.id]))
    await send(respond, Reply(counted, "Counted as your +1"), replace_original=True)
