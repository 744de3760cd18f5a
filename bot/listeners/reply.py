"""What a listener answers with, and sending it back through the request's response_url."""

import logging
from dataclasses import dataclass

from bot.blocks import Blocks
from bot.send import safely
from bot.text import escape

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    blocks: Blocks
    text: str  # the notification and screen-reader text, as plain words (escaped when sent)
    public: bool = False


async def send(respond, reply: Reply, *, replace_original: bool = False) -> None:
    """Answer through the request's response_url (a request without one goes unanswered)."""
    if respond is None or not respond.response_url:
        log.warning("slack: a reply had nowhere to go: the request carried no response_url")
        return
    await safely(
        respond(
            text=escape(reply.text),
            blocks=reply.blocks,
            response_type="in_channel" if reply.public else "ephemeral",
            replace_original=replace_original,
        ),
        "response_url",
    )
