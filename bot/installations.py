"""Slack installations and OAuth states in our PostgreSQL, through slack_sdk's async stores.

Their tables are declared here, in `installation_metadata`, so that alembic creates them
(migration 0003) and compares them like our own; the stores never create tables themselves.
"""

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

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
