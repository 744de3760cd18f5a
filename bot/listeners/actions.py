"""Actions in Slack: the *Create action* buttons (on an alert, an observation in App Home, a
`/journey stage` answer) and `/journey action …` open one modal; its submission creates the
action (domain.action.service.create) or shows the domain's error on the field; the *Start*,
*Done* and *Drop* buttons on an action's message move it (domain.action.lifecycle.move), the
message changing in place through the outbox. Every listener acknowledges first; a stale or
foreign id is answered privately."""

import uuid

from slack_bolt.context.async_context import AsyncBoltContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import action_modal, blocks
from bot.action_message import MOVES, ActionButton, created_message, read_button_value
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from bot.send import safely
from bot.text import escape
from domain.action import lifecycle
from domain.action import service as action_service
from domain.action import views as action_views
from domain.action.views import ActionMessage, Draft
from domain.by_name import action as action_by_name
from domain.errors import DomainError

STALE = "That button names nothing here; the message may be out of date."


async def _open(client, trigger_id: str, view: dict) -> None:
    await safely(client.views_open(trigger_id=trigger_id, view=view), "views.open")


async def _open_from(
    ack, body: dict, action: dict, respond, client, context: AsyncBoltContext, start: str
) -> None:
    """A *Create action* button: the modal, starting from the alert, observation or stage its
    value names."""
    await ack()
    person = who(context)
    try:
        target = uuid.UUID(str(action.get("value")))
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    try:
        async with person.runtime.transaction() as session:
            draft = await action_views.draft(
                session, workspace_id=person.workspace_id, **{start: target}
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
        return
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    await _open(client, body["trigger_id"], action_modal.create_modal(draft, channel_id=channel))


async def from_alert(ack, body, action, respond, client, context) -> None:
    await _open_from(ack, body, action, respond, client, context, "alert_id")


async def from_observation(ack, body, action, respond, client, context) -> None:
    await _open_from(ack, body, action, respond, client, context, "observation_id")


async def at_stage(ack, body, action, respond, client, context) -> None:
    await _open_from(ack, body, action, respond, client, context, "stage_id")


async def from_command(
    person: Who, client, trigger_id: str, channel_id: str, title: str, at: str | None
) -> Reply | None:
    """`/journey action <title> [at <stage>]`: the modal with the title typed; an error
    answer when the place names nothing."""
    try:
        async with person.runtime.transaction() as session:
            draft: Draft = await action_by_name.draft_at(
                session, workspace_id=person.workspace_id, place=at
            )
    except DomainError as error:
        return Reply(blocks.error_message(error.message), error.message)
    view = action_modal.create_modal(draft, title=title, channel_id=channel_id or None)
    await _open(client, trigger_id, view)
    return None


async def submit(ack, body: dict, view: dict, client, context: AsyncBoltContext) -> None:
    """Create before the ack, so that errors show on their field and nothing is stored; then
    confirm to the person who created it. The view's id is the idempotency key: a retried
    submission (Slack's X-Slack-Retry-Num) or a double submit creates one action, confirmed
    once."""
    person = who(context)
    key = f"slack:view:{view['id']}"
    try:
        form = action_modal.read(view)
        name = await person.name()  # looked up before the key is locked, not while
        async with person.runtime.transaction() as session:
            earlier = await action_service.created_with_key(
                session, workspace_id=person.workspace_id, idempotency_key=key
            )
            # A repeat was created and confirmed the first time: nothing to say.
            shown = None if earlier else await _create(session, person, form, name, key)
    except DomainError as error:
        block = action_modal.error_block(view, error.field)
        await ack(response_action="errors", errors={block: error.message})
        return
    await ack()
    if shown is None:
        return
    confirmation = created_message(shown.line)
    text = escape(f"Created the action {shown.line.action.title}")
    if form.channel_id and await safely(
        client.chat_postEphemeral(
            channel=form.channel_id, user=person.user_id, blocks=confirmation, text=text
        ),
        "chat.postEphemeral",
    ):
        return
    await safely(
        client.chat_postMessage(channel=person.user_id, blocks=confirmation, text=text),
        "chat.postMessage",
    )


async def _create(
    session: AsyncSession, person: Who, form: action_modal.Form, name: str, key: str
) -> ActionMessage:
    action = await action_service.create(
        session,
        workspace_id=person.workspace_id,
        journey_id=form.journey_id,
        stage_id=form.stage_id,
        alert_id=form.alert_id,
        title=form.title,
        owner_team_id=form.owner_team_id,
        due_on=form.due_on,
        observation_ids=form.observation_ids,
        created_by_id=person.user_id,
        created_by_name=name,
        now=person.runtime.clock(),
        idempotency_key=key,
    )
    return await action_views.message(
        session, workspace_id=person.workspace_id, action_id=action.id
    )


async def moved(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    """*Start*, *Done* or *Drop* on an action's message, as the person who clicked."""
    await ack()
    person = who(context)
    button = ActionButton(action["action_id"])
    try:
        action_id = read_button_value(action.get("value"))
    except ValueError:
        await send(respond, Reply(blocks.error_message(STALE), STALE))
        return
    try:
        async with person.runtime.transaction() as session:
            await lifecycle.move(
                session,
                workspace_id=person.workspace_id,
                action_id=action_id,
                to=MOVES[button],
                actor_id=person.user_id,
                actor_name=await person.name(),
                now=person.runtime.clock(),
            )
    except DomainError as error:
        await send(respond, Reply(blocks.error_message(error.message), error.message))
