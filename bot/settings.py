"""Runtime settings from the environment, plus the parsed config file: one object."""

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import ConfigError, DeskConfig, describe_validation_error, load_config

SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Everything deskbot needs to run; see docs/admin-guide.md, "Configuration"."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    database_url: str = "sqlite:///deskbot.db"
    slack_api_url: str = SLACK_API_URL
    deskbot_config: Path = Path("deskbot.yaml")
    deskbot_log_format: Literal["text", "json"] = "text"  # `--log-format` wins over it
    # The web dashboard (Sign in with Slack): on when the Slack app's client id and secret
    # are set. The public URL is where people open it (its https:// makes cookies Secure);
    # the session secret signs its cookies (derived from the client secret when unset).
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    deskbot_public_url: str | None = None
    deskbot_session_secret: SecretStr | None = None
    desk: DeskConfig = Field(default_factory=DeskConfig, exclude=True)

    @property
    def socket_mode(self) -> bool:
        """Whether to connect over Socket Mode (an app-level token is configured)."""
        return self.slack_app_token is not None and bool(self.slack_app_token.get_secret_value())

    @property
    def dashboard_enabled(self) -> bool:
        """Whether to serve the web dashboard (Sign in with Slack needs the app's client)."""
        secret = self.slack_client_secret
        return bool(self.slack_client_id) and secret is not None and bool(secret.get_secret_value())


def load_settings(**overrides: object) -> Settings:
    """Read the environment and the config file it points at; raise ConfigError if wrong."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source="environment")) from None
    explicit = "DESKBOT_CONFIG" in os.environ or "deskbot_config" in overrides
    desk = load_config(settings.deskbot_config, required=explicit)
    return settings.model_copy(update={"desk": desk})
