"""The stage's webhook signing key: one generated Secrets Manager secret per AWS stage.

Every tenant's webhook secret is HMAC(this key, tenant id) (speech_core.notify.signing), so nothing per tenant
is stored. The signing function reads it (`Access.WEBHOOK_SIGNING_KEY`: GetSecretValue on this secret only,
its ARN as WEBHOOK_SIGNING_SECRET_ARN); operators read it through `speech-admin webhook-secret`. Only built
where `notify.signing_secret` is on (not the local stage, whose functions use the development key).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk import names
from infra_cdk.config import StageConfig
from infra_cdk.nag_acknowledgments import acknowledge


class WebhookSigningKey(Construct):
    """A random 64-character string (letters and digits) in Secrets Manager; `self.secret` is it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=f"{names.resource_prefix(config.stage)}: webhook signing key (tenant secrets derive from it)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            # kept where the stage keeps its data: a new key would change every tenant's webhook secret
            removal_policy=RemovalPolicy.RETAIN if config.storage.retain_on_delete else RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "No automatic rotation: every tenant's webhook secret is derived from this key, so rotating it changes "
            "all of them at once and must be announced to tenants first (docs/jobs.md 'Webhooks').",
        )
