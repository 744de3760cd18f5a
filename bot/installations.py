"""Slack installations and OAuth states in our PostgreSQL, through slack_sdk's async stores.

Their tables are declared here, in `installation_metadata`, so that alembic creates them
(migration 0003) and compares them like our own; the stores never create tables themselves.
"""

import uuid
from collections.abc import Awaitable, Callable

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from domain.workspace import service as workspace_service
from infrastructure.settings import Settings

STATE_EXPIRY_SECONDS = 600

installation_metadata = MetaData()
AsyncSQLAlchemyInstallationStore.build_installations_table(
    installation_metadata, AsyncSQLAlchemyInstallationStore.default_installations_table_name
)
AsyncSQLAlchemyInstallationStore.build_bots_table(
    installation_metadata, AsyncSQLAlchemyInstallationStore.default_bots_table_name
)
AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(
    installation_metadata, AsyncSQLAlchemyOAuthStateStore.default_table_name
)


def installation_store(engine: AsyncEngine, client_id: str) -> AsyncSQLAlchemyInstallationStore:
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)


def state_store(engine: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine)


def uses_oauth(settings: Settings) -> bool:
    """OAuth mode (many workspaces, tokens in the installation store) once its client is set;
    otherwise the one workspace of SLACK_BOT_TOKEN."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def slack_connected(settings: Settings) -> bool:
    """Whether any Slack workspace can be reached (a bot token, or OAuth installs)."""
    return uses_oauth(settings) or settings.slack_bot_token is not None


TokenFor = Callable[[uuid.UUID], Awaitable[str | None]]


def bot_tokens(settings: Settings, engine: AsyncEngine, db: async_sessionmaker) -> TokenFor:
    """Each workspace's bot token, wherever its mode keeps it: SLACK_BOT_TOKEN for the one
    workspace, or the installation the OAuth flow stored for the workspace's Slack team.
    Tokens found are kept for the finder's life (one delivery run), so a reinstall counts from
    the next run."""
    if not uses_oauth(settings):
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None

        async def configured(_workspace_id: uuid.UUID) -> str | None:
            return token

        return configured

    assert settings.slack_client_id is not None
    store = installation_store(engine, settings.slack_client_id)
    found: dict[uuid.UUID, str | None] = {}

    async def installed(workspace_id: uuid.UUID) -> str | None:
        if workspace_id not in found:
            async with db() as session:
                workspace = await workspace_service.get(session, workspace_id=workspace_id)
            bot = None
            if workspace.slack_team_id:
                team_id = workspace.slack_team_id
                bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
            found[workspace_id] = bot.bot_token if bot else None
        return found[workspace_id]

    return installed
