"""The stage's webhook signing key: from Secrets Manager in the AWS stages, WEBHOOK_SIGNING_KEY elsewhere.

In AWS stages CDK generates one secret per stage (a random string) and writes its ARN as
WEBHOOK_SIGNING_SECRET_ARN to the functions that sign webhooks; only their roles may read it. The value is
read once per execution environment, at the first webhook (boto3 loads then, not at import), and kept. Where no
ARN is set (the local stage, tests) the key is WEBHOOK_SIGNING_KEY, whose default is a development key.

Every tenant's secret is derived from this key (speech_core.notify.signing), so a new key changes every
tenant's secret; environments that already read the old key keep it until they are recycled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from speech_core.settings import NotifySettings


class SecretsClient(Protocol):
    """The one Secrets Manager call made here (a boto3 `secretsmanager` client)."""

    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]: ...  # noqa: N803 - boto3's parameter name


class SigningKeyUnavailable(RuntimeError):
    """The signing secret holds no usable key (empty, or binary instead of a string)."""


#: secret ARN -> its key, kept for the life of the execution environment
_keys: dict[str, str] = {}


def stage_signing_key(settings: NotifySettings, *, secrets: SecretsClient | None = None) -> str:
    """The key tenant webhook secrets are derived from: the secret named by `webhook_signing_secret_arn`
    (read once, then kept), or `webhook_signing_key` where no ARN is set."""
    arn = settings.webhook_signing_secret_arn
    if not arn:
        return settings.webhook_signing_key.get_secret_value()
    key = _keys.get(arn)
    if key is None:
        if secrets is None:
            import boto3  # cold start: only the first webhook of an environment loads it

            secrets = boto3.client("secretsmanager")
        key = secrets.get_secret_value(SecretId=arn).get("SecretString")
        if not key:
            raise SigningKeyUnavailable(f"the webhook signing secret {arn} has no SecretString")
        _keys[arn] = key
    return key


def forget_signing_keys() -> None:
    """Drops the kept keys, so the next call reads the secret again (tests; a rotation within one process)."""
    _keys.clear()
