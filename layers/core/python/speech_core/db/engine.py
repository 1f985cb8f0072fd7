"""One cached engine and session factory per database URL, reused across warm Lambda invocations."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy import CursorResult, Engine, Result, create_engine
from sqlalchemy.orm import Session, sessionmaker

from speech_core.settings import DatabaseSettings, get_database_settings


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (what most tools print) and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def resolve_database_url(settings: DatabaseSettings, secrets_client: Any = None) -> str:
    """The URL to connect to: DATABASE_URL as given, or built from the RDS secret in Secrets Manager."""
    if settings.database_url is not None:
        return normalise_url(settings.database_url.get_secret_value())
    if secrets_client is None:
        import boto3  # cold start: only the Aurora stages read a secret; a DATABASE_URL never loads boto3

        secrets_client = boto3.client("secretsmanager")
    secret = json.loads(secrets_client.get_secret_value(SecretId=settings.database_secret_arn)["SecretString"])
    host = settings.database_host or secret["host"]
    user, password = quote(secret["username"], safe=""), quote(secret["password"], safe="")
    dbname = secret.get("dbname", settings.database_name)
    return f"postgresql+psycopg://{user}:{password}@{host}:{secret.get('port', 5432)}/{dbname}"


@lru_cache(maxsize=8)
def get_engine(url: str, pool_size: int = 2) -> Engine:
    # pre_ping: a warm Lambda may hold a connection the proxy closed while the function was frozen.
    return create_engine(normalise_url(url), pool_size=pool_size, max_overflow=2, pool_pre_ping=True, pool_recycle=300)


@lru_cache(maxsize=8)
def get_sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def default_database_url() -> str:
    """The URL from this process's settings (validated at first use)."""
    return resolve_database_url(get_database_settings())


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (Session.execute is typed as Result, which hides the cursor's count)."""
    return cast(CursorResult[Any], result).rowcount
