"""Single-workspace mode: Slack says the app was uninstalled or its token revoked.

There is no installation store to clean up (the OAuth mode's listeners do that): the token is
SLACK_BOT_TOKEN, so the operator is told, once per event, that it no longer works and what to
do. Slack gets its acknowledgement (rather than a 404 it would retry), and nothing is lost:
delivery keeps alert and digest messages queued in the outbox until a working token is set.
"""

import logging

from slack_bolt.context.async_context import AsyncBoltContext

log = logging.getLogger(__name__)

WHAT_TO_DO = (
    "the bot token no longer works. Reinstall the Slack app (bot/manifest.yml) and set "
    "SLACK_BOT_TOKEN to its new bot token, then restart; until then alerts and digests stay "
    "queued in the outbox and are delivered once it works."
)


async def uninstalled(ack, context: AsyncBoltContext) -> None:
    await ack()
    log.warning(
        "slack: JourneyOps was uninstalled from Slack team %s: %s", context.team_id, WHAT_TO_DO
    )


async def tokens_revoked(ack, event: dict, context: AsyncBoltContext) -> None:
    await ack()
    if not (event.get("tokens") or {}).get("bot"):
        return  # only people's tokens, which this app does not use
    log.warning("slack: Slack revoked the tokens of team %s: %s", context.team_id, WHAT_TO_DO)
