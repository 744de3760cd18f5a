"""Configuration from environment variables (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; when unset JourneyOps starts an embedded PostgreSQL.",
    )
    data_dir: Path = Field(
        default=Path(".journeyops"),
        validation_alias="JOURNEYOPS_DATA_DIR",
        description="Where the embedded PostgreSQL keeps its data.",
    )
    keep_database: bool = Field(
        default=False,
        validation_alias="JOURNEYOPS_KEEP_DATABASE",
        description="Leave the embedded PostgreSQL running when the last process using it "
        "exits (by default it is stopped then).",
    )
    port: int = 8000
    host: str = Field(default="127.0.0.1", validation_alias="JOURNEYOPS_HOST")
    public_url: str | None = Field(
        default=None,
        validation_alias="JOURNEYOPS_PUBLIC_URL",
        description="Base URL people reach this server at (links in Slack); default http://HOST:PORT.",
    )
    cors_origins: str = Field(
        default="",
        validation_alias="JOURNEYOPS_CORS_ORIGINS",
        description="Comma-separated origins whose pages may call /graphql from a browser.",
    )
    web_fold: bool = Field(
        default=True,
        validation_alias="JOURNEYOPS_WEB_FOLD",
        description="Web processes fold ingested batches into metrics in the background; "
        "turn off to leave it to the worker (readers always catch up first).",
    )
    alert_evaluation_every: float = Field(
        default=15 * 60,
        gt=0,
        validation_alias="JOURNEYOPS_ALERT_EVALUATION_EVERY",
        description="Seconds between the worker's evaluations of the alert rules.",
    )
    digests_every: float = Field(
        default=30 * 60,
        gt=0,
        validation_alias="JOURNEYOPS_DIGESTS_EVERY",
        description="Seconds between the worker's looks for weekly team digests that are due.",
    )
    read_timeout_seconds: float = Field(
        default=30,
        gt=0,
        le=86400,  # PostgreSQL takes statement_timeout in int milliseconds
        validation_alias="JOURNEYOPS_READ_TIMEOUT_SECONDS",
        description="The longest a statement of a metrics reader may run before it is stopped "
        "and the reader told to ask for less (a bound on what one query can cost the database).",
    )
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None

    @property
    def allowed_origins(self) -> list[str]:
        origins = (origin.strip().rstrip("/") for origin in self.cors_origins.split(","))
        return [origin for origin in origins if origin]

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
