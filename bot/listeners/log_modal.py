"""The "Log observation" modal: opened from `/journey log`, the message shortcut or App
Home; its pickers load options as people type; a submission logs once (keyed by view id)
and shows domain errors inline."""

import asyncio
import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks, modal
from bot.listeners import home
from bot.middleware import Who, who
from bot.modal import Context
from bot.send import safely
from bot.text import escape, unescape
from domain.by_name import journey as journey_by_name
from domain.by_name import stage as stage_by_name
from domain.by_name import touchpoint as touchpoint_by_name
from domain.errors import DomainError
from domain.member import service as member_service
from domain.observation import member_logging
from domain.persona import service as persona_service
from domain.persona.models import Persona
from domain.team.models import Team
from domain.validation import unstorable_reason

log = logging.getLogger(__name__)


async def open_modal(
    client, trigger_id: str, person: Who, context: Context, *, text: str = ""
) -> None:
    async def choices() -> tuple[list[Team] | None, list[Persona]]:
        async with person.runtime.transaction() as session:
            # Someone not on a team yet is asked once, inside the modal, rather than refused.
            teams = await member_service.team_choices(
                session, workspace_id=person.workspace_id, user_id=person.user_id
            )
            return teams, await persona_service.list_all(session, workspace_id=person.workspace_id)

    # Looking the name up now, alongside, spares the submission (answered within 3 s) a wait.
    (teams, personas), _ = await asyncio.gather(choices(), person.name())
    view = modal.log_modal(context, text=text, teams=teams, personas=personas)
    await safely(client.views_open(trigger_id=trigger_id, view=view), "views.open")


async def from_home(ack, body: dict, client, context: AsyncBoltContext) -> None:
    await ack()
    if body.get("trigger_id"):
        await open_modal(client, body["trigger_id"], who(context), Context())


async def from_message(ack, shortcut: dict, client, context: AsyncBoltContext) -> None:
    """Message shortcut: the modal prefilled with the message, keeping a link back to it."""
    await ack()
    channel_id = shortcut["channel"]["id"]
    message = shortcut.get("message", {})
    found = await safely(
        client.chat_getPermalink(channel=channel_id, message_ts=message.get("ts", "")),
        "chat.getPermalink",
    )
    permalink = found.get("permalink") if found else None
    await open_modal(
        client,
        shortcut["trigger_id"],
        who(context),
        Context(channel_id=channel_id, permalink=permalink),
        text=unescape(message.get("text", "")),
    )


def _chosen(body: dict, block: modal.BlockId) -> Any:
    return modal.as_uuid(modal.selected(modal.state_values(body.get("view")), block))


async def journey_options(ack, body: dict, context: AsyncBoltContext) -> None:
    person = who(context)
    async with person.runtime.transaction() as session:
        journeys = await journey_by_name.containing(
            session, workspace_id=person.workspace_id, text=body.get("value", "")
        )
    pairs = [(str(j.id), j.name) for j in journeys]
    await ack(options=modal.options(pairs))


def _searchable(body: dict) -> str | None:
    """What the person typed into a picker; None when no stored name can hold it (a NUL…),
    so there is nothing to look up."""
    typed = body.get("value", "")
    return None if unstorable_reason(typed) else typed


async def stage_options(ack, body: dict, context: AsyncBoltContext) -> None:
    person = who(context)
    journey_id = _chosen(body, modal.BlockId.JOURNEY)
    if (search := _searchable(body)) is None:
        await ack(options=[])
        return
    async with person.runtime.transaction() as session:
        places = await stage_by_name.places(
            session,
            workspace_id=person.workspace_id,
            journey_id=journey_id,
            search=search,
            limit=modal.OPTIONS_MAX,
        )
    pairs = [(str(p.id), p.name if journey_id else p.label) for p in places]
    await ack(options=modal.options(pairs))


async def touchpoint_options(ack, body: dict, context: AsyncBoltContext) -> None:
    person = who(context)
    if (search := _searchable(body)) is None:
        await ack(options=[])
        return
    async with person.runtime.transaction() as session:
        places = await touchpoint_by_name.places(
            session,
            workspace_id=person.workspace_id,
            journey_id=_chosen(body, modal.BlockId.JOURNEY),
            stage_id=_chosen(body, modal.BlockId.STAGE),
            search=search,
            limit=modal.OPTIONS_MAX,
        )
    await ack(options=modal.options([(str(p.id), p.label) for p in places]))


async def journey_chosen(ack, body: dict, action: dict, client) -> None:
    """A journey was picked: clear stage and touchpoint picked for another one."""
    await ack()
    view = body.get("view")
    if not view or not view.get("id"):
        return
    await safely(
        client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=modal.rekeyed(view, action.get("selected_option")),
        ),
        "views.update",
    )


async def submit(ack, body: dict, view: dict, client, context: AsyncBoltContext) -> None:
    """Validate and log before the ack (errors show inline), confirm after it."""
    person = who(context)
    submission = modal.read(view)
    where = Context.load(view.get("private_metadata"))
    try:
        async with person.runtime.transaction() as session:
            logged = await member_logging.log_as_member(
                session,
                workspace_id=person.workspace_id,
                author_id=person.user_id,
                author_name=await person.name(),
                text=submission.text,
                kind=submission.kind,
                touchpoint=submission.touchpoint_id,
                stage_id=submission.stage_id,
                journey_id=submission.journey_id,
                emotion=submission.emotion,
                sentiment=submission.sentiment,
                join_team_id=submission.team_id,
                persona_id=submission.persona_id,
                permalink=where.permalink,
                idempotency_key=f"slack:view:{view['id']}",
            )
    except DomainError as error:
        await ack(
            response_action="errors", errors={modal.error_block(view, error.field): error.message}
        )
        return
    await ack()
    if logged.repeated:  # a retried submission: confirmed the first time
        return
    shown = blocks.logged_message(
        logged.observation, logged.where, logged.team_name, logged.similar
    )
    text = escape(f"Logged at {logged.where}")
    if where.channel_id and await safely(
        client.chat_postEphemeral(
            channel=where.channel_id, user=person.user_id, blocks=shown, text=text
        ),
        "chat.postEphemeral",
    ):
        return
    # From App Home, or a channel the bot cannot post in: the app's messages tab instead.
    await safely(
        client.chat_postMessage(channel=person.user_id, blocks=shown, text=text),
        "chat.postMessage",
    )
    if not where.channel_id:  # opened from App Home: show it there among recent observations
        await home.publish(person, client)
