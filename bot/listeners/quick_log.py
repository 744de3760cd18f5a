"""`/journey log <touchpoint> <text> [#emotion] [!kind]`: log in one line.

The touchpoint is looked up forgivingly (and may run on unquoted: `log product page …`); when
several fit, or none but some come close, the person gets buttons that log on click. The
command's trigger id is the idempotency key, so a double click, or a click on a second
candidate, logs once.
"""

from slack_bolt.context.async_context import AsyncBoltContext

from bot import blocks
from bot.commands import QuickLog
from bot.listeners.reply import Reply, send
from bot.middleware import Who, who
from bot.text import quote
from domain.errors import DomainError
from domain.observation import member_logging


def _logged(logged: member_logging.Logged) -> Reply:
    return Reply(
        blocks.logged_message(logged.observation, logged.where, logged.team_name, logged.similar),
        f"Logged at {logged.where}",
    )


def _error(message: str, text: str) -> Reply:
    """The error, with the person's text echoed so that nothing typed is lost."""
    shown = blocks.error_message(message)
    if text:
        shown += blocks.plain_message(f"Your text:\n>{quote(text, 2800)}")
    return Reply(shown, message)


async def log(command: QuickLog, person: Who, *, key: str) -> Reply | None:
    """The answer to a quick log; None when its key was logged (and answered) before."""
    try:
        async with person.runtime.transaction() as session:
            logged = await member_logging.quick_log(
                session,
                workspace_id=person.workspace_id,
                author_id=person.user_id,
                author_name=await person.name(),
                touchpoint=command.touchpoint,
                text=command.text,
                name_may_continue=not command.quoted,
                kind=command.kind,
                emotion=command.emotion,
                idempotency_key=key,
            )
    except member_logging.ChooseTouchpoint as choose:
        pending = {"text": choose.text, "emotion": command.emotion, "kind": command.kind}
        return Reply(
            blocks.touchpoint_choices(choose.message, choose.places, {**pending, "key": key}),
            choose.message,
        )
    except DomainError as error:
        return _error(error.message, command.text)
    return None if logged.repeated else _logged(logged)


async def pick_touchpoint(ack, action: dict, respond, context: AsyncBoltContext) -> None:
    await ack()
    person = who(context)
    try:
        pending = blocks.read_pick_value(action.get("value"))
    except ValueError:
        await send(respond, _error("That button is stale; log again.", ""))
        return
    try:
        async with person.runtime.transaction() as session:
            logged = await member_logging.log_as_member(
                session,
                workspace_id=person.workspace_id,
                author_id=person.user_id,
                author_name=await person.name(),
                text=pending.text,
                kind=pending.kind,
                emotion=pending.emotion,
                touchpoint=pending.touchpoint,
                idempotency_key=pending.key,
            )
    except DomainError as error:
        await send(respond, _error(error.message, pending.text))
        return
    if not logged.repeated:
        await send(respond, _logged(logged), replace_original=True)
