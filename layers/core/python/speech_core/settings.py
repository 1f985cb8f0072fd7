"""Settings models validated once at cold start. Nothing else in the core reads `os.environ`.

CDK is the only writer of a function's environment; the local runtime reads it from the synthesized
template. Each function composes the settings it needs from these models. They are `EnvironmentSettings`
(speech_core.environment_settings): typed and validated like pydantic-settings models, without importing
pydantic, so an authorizer validates its settings at cold start inside its 150 ms import budget.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Literal

from speech_core.environment_settings import EnvironmentSettings, SecretStr
from speech_core.environment_settings import setting as Field  # noqa: N812 - reads like pydantic's Field

if TYPE_CHECKING:  # a package may declare its own pydantic-settings models (e.g. speech_core.batch.settings)
    from pydantic_settings import BaseSettings


class PowertoolsSettings(EnvironmentSettings):
    """What Powertools reads itself (Logger, Tracer, Metrics); CDK writes it for every function."""

    powertools_service_name: str
    powertools_metrics_namespace: str
    powertools_log_level: str = "INFO"
    powertools_trace_disabled: bool = False


class ConsoleSettings(EnvironmentSettings):
    """The stage's web console (console/): the one origin browsers may call the REST API from. CDK writes it for
    every REST function (the CloudFront address in AWS stages, the local cloud's console server locally)."""

    console_origin: str | None = Field(default=None, description="scheme://host[:port], e.g. https://d1.cloudfront.net")


#: the headers the console sends and reads across origins: the functions' CORS answers (speech_core.api.http_app)
#: and the gateway's own (preflight, gateway errors; infra_cdk's RestApi) list the same ones
CORS_ALLOW_HEADERS = ("Content-Type", "X-Api-Key", "Authorization")
CORS_EXPOSE_HEADERS = (
    "x-amzn-RequestId",
    "Retry-After",
    "X-Skipped-Post-Processors",
    "X-Service-Id",
    "X-Model-Version",
    "X-Transcript-Complete",
)


class PydanticSettings(EnvironmentSettings):
    """What pydantic reads itself; CDK writes it for every function. `__all__`: no plugin is used, so pydantic
    never scans the installed distributions' entry points for one (see `speech_core.pydantic_plugins`)."""

    pydantic_disable_plugins: str | None = None


class DatabaseSettings(EnvironmentSettings):
    """Where PostgreSQL is: a URL (local, tests) or a Secrets Manager secret (AWS, via RDS Proxy)."""

    database_url: SecretStr | None = Field(default=None, description="postgresql+psycopg://user:pw@host:port/db")
    database_secret_arn: str | None = Field(default=None, description="RDS secret (host, port, username, ...)")
    #: where to connect instead of the secret's host: the RDS Proxy endpoint in the Aurora stages (the cluster's own
    #: host is closed to everything but the proxy)
    database_host: str | None = Field(default=None, description="e.g. the RDS Proxy endpoint")
    database_name: str = "speech"
    database_pool_size: int = Field(default=2, ge=1, le=20)

    def check(self) -> None:
        if self.database_url is None and self.database_secret_arn is None:
            raise ValueError("set DATABASE_URL or DATABASE_SECRET_ARN")


class ApiKeySettings(EnvironmentSettings):
    """Hashing of API keys. The pepper is an HMAC key kept outside the database (Secrets Manager in AWS),
    so a leaked database alone does not allow offline checks of candidate keys."""

    api_key_pepper: SecretStr = SecretStr("local-development-pepper")
    api_key_last_used_resolution_s: int = Field(default=60, ge=0)


class InferenceSettings(EnvironmentSettings):
    """Where Triton is."""

    triton_url: str = Field(description="host:port of Triton's gRPC (or HTTP) endpoint")
    triton_protocol: Literal["grpc", "http"] = "grpc"
    #: below API Gateway's 29 s integration timeout, so a slow model answers 504 model.timeout, not a gateway 504
    triton_timeout_s: float = Field(default=25.0, gt=0, le=900)


class RegistrySettings(EnvironmentSettings):
    """Which packaged model registry (speech_core/inference/registries/<name>.yaml) describes the models."""

    model_registry: str


class StorageSettings(EnvironmentSettings):
    """The platform's buckets (names written by CDK; absent where a function has no access)."""

    ingest_bucket: str | None = None
    audio_bucket: str | None = None
    results_bucket: str | None = None
    presigned_url_ttl_s: int = Field(default=900, ge=60, le=43_200)


class SyncLimits(EnvironmentSettings, env_prefix="SYNC_"):
    """What one synchronous call accepts (documented in docs/api.md). Longer audio goes to the jobs API."""

    max_audio_seconds: float = Field(default=60.0, gt=0)
    #: decoded bytes of one audio item: 10 MB of base64 (API Gateway's body limit) is 7.5 MB of audio
    max_audio_bytes: int = Field(default=7_500_000, gt=0)
    max_tts_chars: int = Field(default=2_000, gt=0)


class AudioLinkSettings(EnvironmentSettings, env_prefix="AUDIO_URL_"):
    """Fetching an `audio[].audioUri` https link (speech_core.outbound.audio_link). CDK writes the stage's values
    for the functions that read audio (docs/api.md, ULCA compatibility)."""

    #: the local stage only: http:// links and loopback hosts (private, link-local, metadata stay refused)
    allow_local: bool = False
    #: a PEM file of CA certificates trusted besides the system's (the local stage's test CA); unset elsewhere
    ca_bundle: str | None = None
    #: the whole fetch (every redirect, connect, TLS, headers and body) ends within this many seconds
    timeout_s: float = Field(default=10.0, gt=0, le=25)
    max_redirects: int = Field(default=3, ge=0, le=10)


class JobQueueSettings(EnvironmentSettings):
    """The job-start queue: a message `{"job": {jobId, tenantId, attempt}}` there starts a job's execution."""

    job_start_queue_url: str


class WorkflowSettings(EnvironmentSettings):
    """The batch-job state machine (executions are named `<job id>-a<attempt>`)."""

    job_state_machine_arn: str


class JobLimits(EnvironmentSettings, env_prefix="JOB_"):
    """What one batch job accepts (documented in docs/jobs.md): checked at create when the size is known,
    and by the workflow's prepare step once the audio is decoded."""

    max_audio_seconds: float = Field(default=4 * 3600.0, gt=0)
    max_input_bytes: int = Field(default=2 * 1024**3, gt=0)


class NotifySettings(EnvironmentSettings):
    """Job notifications: the EventBridge bus for state-change events and the webhooks' signing and retries.

    A tenant's webhook secret is HMAC(stage signing key, tenant id) (speech_core.notify.signing): nothing
    per tenant is stored, and `speech-admin webhook-secret <tenant>` shows it. The stage key is the Secrets
    Manager secret `webhook_signing_secret_arn` names (AWS stages; read on first use by
    speech_core.notify.signing_key), else `webhook_signing_key` (the local stage and tests).
    """

    event_bus_name: str = Field(default="default", description="name or ARN of the stage's event bus")
    webhook_signing_secret_arn: str | None = Field(default=None, description="the stage's signing key secret")
    #: used only where no secret ARN is set; the default is the local development key
    webhook_signing_key: SecretStr = SecretStr("local-development-webhook-key")
    #: the local stage only: http webhooks and loopback/private receivers (metadata addresses stay refused)
    webhook_allow_insecure_local: bool = False
    webhook_max_attempts: int = Field(default=4, ge=1, le=10)
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_first_backoff_s: float = Field(default=1.0, ge=0, le=60)
    #: every try of one delivery starts within this many seconds (keep it under the function's timeout)
    webhook_deadline_s: float = Field(default=60.0, gt=0, le=900)


# --- the environment contract ------------------------------------------------------------------------------
#: the settings models one function reads; its handler module declares them (see `declare_environment`)
FunctionEnvironment = tuple[type["EnvironmentSettings | BaseSettings"], ...]
_declared: FunctionEnvironment | None = None


#: what every synchronous inference route reads: the database (metering), the model registry, Triton, the
#: buckets (input/output copies, uploads, presigned links) and the sync limits
INFERENCE_ROUTE_SETTINGS: FunctionEnvironment = (
    DatabaseSettings,
    RegistrySettings,
    InferenceSettings,
    StorageSettings,
    SyncLimits,
)


def declare_environment(*models: type[EnvironmentSettings | BaseSettings]) -> FunctionEnvironment:
    """Declares, once per handler module, every settings model the function reads (Powertools' and pydantic's
    own included).

    The infra tests hold each function's template environment to this declaration (every variable CDK writes
    is read, every required one is written). Inside Lambda (AWS_LAMBDA_FUNCTION_NAME set) the models are
    validated now, at cold start, so a wrong environment fails init with the variable's name, and reading a
    model the handler did not declare fails loudly instead of drifting from the template.
    """
    global _declared
    environment: FunctionEnvironment = (PowertoolsSettings, PydanticSettings, ConsoleSettings, *models)
    _declared = environment
    if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        for model in environment:
            read_settings(model)  # type: ignore[arg-type]  # mypy: a union of classes is not seen as Hashable
    return environment


@cache
def read_settings[Settings: (EnvironmentSettings | BaseSettings)](model: type[Settings]) -> Settings:
    """The validated settings of `model` from this process's environment, read once."""
    if _declared is not None and model not in _declared and "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        raise RuntimeError(f"{model.__name__} is read but this function's handler does not declare it")
    return model()


def get_console_settings() -> ConsoleSettings:
    return read_settings(ConsoleSettings)


def get_database_settings() -> DatabaseSettings:
    return read_settings(DatabaseSettings)


def get_api_key_settings() -> ApiKeySettings:
    return read_settings(ApiKeySettings)


def get_inference_settings() -> InferenceSettings:
    return read_settings(InferenceSettings)


def get_registry_settings() -> RegistrySettings:
    return read_settings(RegistrySettings)


def get_storage_settings() -> StorageSettings:
    return read_settings(StorageSettings)


def get_audio_link_settings() -> AudioLinkSettings:
    return read_settings(AudioLinkSettings)


def get_sync_limits() -> SyncLimits:
    return read_settings(SyncLimits)


def get_job_queue_settings() -> JobQueueSettings:
    return read_settings(JobQueueSettings)


def get_workflow_settings() -> WorkflowSettings:
    return read_settings(WorkflowSettings)


def get_job_limits() -> JobLimits:
    return read_settings(JobLimits)


def get_notify_settings() -> NotifySettings:
    return read_settings(NotifySettings)
