"""Settings models validated once at cold start. Nothing else in the core reads `os.environ`.

CDK is the only writer of a function's environment; the local runtime reads it from the synthesized
template. Each function composes the settings it needs from these models.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """Where PostgreSQL is: a URL (local, tests) or a Secrets Manager secret (AWS, via RDS Proxy)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: SecretStr | None = Field(default=None, description="postgresql+psycopg://user:pw@host:port/db")
    database_secret_arn: str | None = Field(default=None, description="RDS secret (host, port, username, ...)")
    database_host_override: str | None = Field(default=None, description="e.g. the RDS Proxy endpoint")
    database_name: str = "speech"
    database_pool_size: int = Field(default=2, ge=1, le=20)

    @model_validator(mode="after")
    def _one_source(self) -> DatabaseSettings:
        if self.database_url is None and self.database_secret_arn is None:
            raise ValueError("set DATABASE_URL or DATABASE_SECRET_ARN")
        return self


class ApiKeySettings(BaseSettings):
    """Hashing of API keys. The pepper is an HMAC key kept outside the database (Secrets Manager in AWS),
    so a leaked database alone does not allow offline checks of candidate keys."""

    model_config = SettingsConfigDict(extra="ignore")

    api_key_pepper: SecretStr = SecretStr("local-development-pepper")
    api_key_last_used_resolution_s: int = Field(default=60, ge=0)


@lru_cache(maxsize=1)
def get_database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache(maxsize=1)
def get_api_key_settings() -> ApiKeySettings:
    return ApiKeySettings()
