"""Which token answers a request, found without asking Slack: an acknowledgement must never
wait on a Web API call.

Bolt's own authorization calls `auth.test` before the listener acks: once per process in
single-workspace mode (and again on every request while it fails: with the client's retries,
about 3 s of 5xx pushed every ack past Slack's 3 s), and on every request in OAuth mode. Here
the token comes from configuration (SLACK_BOT_TOKEN) or from the installation the OAuth flow
stored (which also holds the bot's ids); a token Slack no longer accepts shows up when a
listener calls the Web API, where failures are already logged (bot.send).

In single-workspace mode the bot's own user id stays unknown: it only serves to ignore the
bot's own messages, and the app subscribes to no message events.
"""

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore


class ConfiguredToken(AsyncAuthorize):
    """Single workspace: every request is answered with SLACK_BOT_TOKEN."""

    def __init__(self, token: str):
        self.token = token

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_: object,
    ) -> AuthorizeResult | None:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=self.token
        )


class StoredInstallation(AsyncAuthorize):
    """OAuth: the bot token (and ids) of the team's installation; None when the team has none,
    which Bolt answers by asking to reinstall."""

    def __init__(self, store: AsyncInstallationStore):
        self.store = store

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_: object,
    ) -> AuthorizeResult | None:
        bot = await self.store.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=context.is_enterprise_install,
        )
        if bot is None or not bot.bot_token:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            user_id=user_id,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
        )
