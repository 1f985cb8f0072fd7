from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from speech_core.db.engine import normalise_url, resolve_database_url
from speech_core.environment_settings import SettingsError
from speech_core.settings import DatabaseSettings


def test_plain_postgres_urls_use_psycopg3():
    assert normalise_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_a_database_source_is_required(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_SECRET_ARN", raising=False)
    with pytest.raises(SettingsError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        DatabaseSettings()


@mock_aws
def test_url_from_rds_secret_through_the_proxy_endpoint():
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(
        Name="db",
        SecretString=json.dumps(
            {
                "host": "cluster.internal",
                "port": 5432,
                "username": "app",
                "password": "p@ss/word",
                "dbname": "speech",
            }
        ),
    )["ARN"]
    settings = DatabaseSettings(database_secret_arn=arn, database_host="proxy.internal")
    assert resolve_database_url(settings, client) == (
        "postgresql+psycopg://app:p%40ss%2Fword@proxy.internal:5432/speech"
    )
