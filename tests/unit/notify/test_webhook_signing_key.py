"""The stage's signing key: read from Secrets Manager (moto) once per environment where an ARN is set, from
WEBHOOK_SIGNING_KEY elsewhere; `speech-admin webhook-secret` derives tenant secrets from the same key."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from speech_core.admin_cli import _webhook_secret
from speech_core.notify import (
    SigningKeyUnavailable,
    forget_signing_keys,
    stage_signing_key,
    tenant_webhook_secret,
)
from speech_core.settings import NotifySettings

REGION = "eu-west-1"
STAGE_KEY = "k" * 64


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Moto's Secrets Manager, the process's default region, and no key kept from another test."""
    for name in ("WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    forget_signing_keys()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)
    forget_signing_keys()


def _secret(client: Any, value: str = STAGE_KEY) -> str:
    return client.create_secret(Name=f"webhook-{uuid.uuid4().hex[:8]}", SecretString=value)["ARN"]


def test_the_key_is_the_secrets_value_where_an_arn_is_set(secrets: Any) -> None:
    arn = _secret(secrets)
    settings = NotifySettings(webhook_signing_secret_arn=arn, webhook_signing_key="ignored-when-an-arn-is-set")
    assert stage_signing_key(settings) == STAGE_KEY


def test_the_secret_is_read_once_per_environment(secrets: Any) -> None:
    arn = _secret(secrets)
    settings = NotifySettings(webhook_signing_secret_arn=arn)
    assert stage_signing_key(settings) == STAGE_KEY
    secrets.put_secret_value(SecretId=arn, SecretString="a-new-key")
    assert stage_signing_key(settings) == STAGE_KEY, "kept: no Secrets Manager call per webhook"
    forget_signing_keys()
    assert stage_signing_key(settings) == "a-new-key"


def test_an_injected_client_is_called_once() -> None:
    forget_signing_keys()
    calls: list[str] = []

    class Client:
        def get_secret_value(self, *, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto3's name
            calls.append(SecretId)
            return {"SecretString": STAGE_KEY}

    settings = NotifySettings(webhook_signing_secret_arn="arn:aws:secretsmanager:eu-west-1:1:secret:k-abcdef")
    assert {stage_signing_key(settings, secrets=Client()) for _ in range(3)} == {STAGE_KEY}
    assert calls == [settings.webhook_signing_secret_arn]
    forget_signing_keys()


def test_a_secret_without_a_string_is_refused(secrets: Any) -> None:
    arn = secrets.create_secret(Name="binary-key", SecretBinary=b"\x00\x01")["ARN"]
    with pytest.raises(SigningKeyUnavailable, match="no SecretString"):
        stage_signing_key(NotifySettings(webhook_signing_secret_arn=arn))


def test_without_an_arn_the_key_is_webhook_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBHOOK_SIGNING_SECRET_ARN", raising=False)
    assert stage_signing_key(NotifySettings(webhook_signing_key="stage-key")) == "stage-key"
    monkeypatch.delenv("WEBHOOK_SIGNING_KEY", raising=False)
    assert stage_signing_key(NotifySettings()) == "local-development-webhook-key"


def test_the_arn_comes_from_the_environment_cdk_writes(secrets: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = _secret(secrets)
    monkeypatch.setenv("WEBHOOK_SIGNING_SECRET_ARN", arn)
    assert NotifySettings().webhook_signing_secret_arn == arn
    assert stage_signing_key(NotifySettings()) == STAGE_KEY


def test_boto3_loads_only_when_the_secret_is_read() -> None:
    probe = (
        "import sys\n"
        "from speech_core.notify import stage_signing_key\n"
        "from speech_core.notify.job_notifications import notify_job_state\n"
        "from speech_core.settings import NotifySettings\n"
        "assert stage_signing_key(NotifySettings()) == 'local-development-webhook-key'\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported without a secret to read'\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(p for p in sys.path if p)}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_speech_admin_shows_the_tenants_secret_from_the_stage_secret(secrets: Any) -> None:
    arn = _secret(secrets)
    tenant = uuid.uuid4()
    answer = _webhook_secret(tenant, "acme", arn)
    assert answer["webhookSecret"] == tenant_webhook_secret(STAGE_KEY, tenant)
    assert answer["keySource"] == arn and "warning" not in answer
    # the same secret through the environment the functions read (WEBHOOK_SIGNING_SECRET_ARN)
    forget_signing_keys()
    from speech_core.settings import read_settings

    read_settings.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WEBHOOK_SIGNING_SECRET_ARN", arn)
            assert _webhook_secret(tenant, "acme", None)["webhookSecret"] == answer["webhookSecret"]
    finally:
        read_settings.cache_clear()


def test_speech_admin_without_a_stage_key_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    from speech_core.settings import read_settings

    for name in ("WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    read_settings.cache_clear()
    try:
        answer = _webhook_secret(uuid.uuid4(), "acme", None)
    finally:
        read_settings.cache_clear()
    assert answer["keySource"] == "local development key" and "warning" in answer
