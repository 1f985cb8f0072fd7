"""Stage configuration: every difference between dev, staging, prod and local lives in this one model.

The values come from `cdk.json` context (`stages.<name>`), merged over the defaults below, and the stage is
picked with `-c stage=<name>`. Constructs read this model and never branch on the stage name itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# The retention periods CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653})
LogRetentionDays = Annotated[int, AfterValidator(lambda d: _check_retention(d))]


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention; pick one of {sorted(LOG_RETENTION_DAYS)}")
    return days


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Architecture(StrEnum):
    ARM64 = "arm64"
    X86_64 = "x86_64"


class NetworkConfig(_Section):
    """VPC layout. `enabled: false` (the local stage) puts functions outside any VPC: LocalStack has no VPC."""

    enabled: bool = True
    max_azs: int = Field(2, ge=2, le=3)
    nat_gateways: int = Field(1, ge=0, le=3)
    flow_log_retention_days: LogRetentionDays = 30


class StorageConfig(_Section):
    """Buckets: retention of each prefix family, and what happens to them when the stack goes."""

    retain_on_delete: bool = False
    auto_delete_objects: bool = False
    versioned: bool = True
    incoming_retention_days: int = Field(7, ge=1)
    audio_retention_days: int = Field(30, ge=1)
    results_retention_days: int = Field(90, ge=1)
    #: a batch job's 16 kHz chunks (audio bucket, chunks/): needed until the job succeeds or is retried
    chunk_retention_days: int = Field(7, ge=1)
    access_log_retention_days: int = Field(90, ge=1)


class DatabaseConfig(_Section):
    """Aurora Serverless v2 behind RDS Proxy (`aurora`), or a URL the runtime supplies (`external`, local)."""

    mode: Literal["aurora", "external"] = "aurora"
    external_url: str = "postgresql+psycopg://speech@127.0.0.1:5432/speech"
    engine_version: str = "17.5"
    database_name: str = "speech"
    min_acu: float = Field(0.5, ge=0, le=256)
    max_acu: float = Field(4, ge=1, le=256)
    readers: int = Field(0, ge=0, le=15)
    deletion_protection: bool = False
    backup_retention_days: int = Field(1, ge=1, le=35)
    secret_rotation_days: int | None = None


class InferenceConfig(_Section):
    """Triton on ECS/EC2 GPU instances (`ecs`), or a Triton URL the runtime supplies (`external`, local)."""

    mode: Literal["ecs", "external"] = "ecs"
    external_url: str = "127.0.0.1:8001"
    #: which packaged registry (speech_core/inference/registries/<name>.yaml) maps tasks to the served models
    model_registry: Literal["local", "production"] = "production"
    instance_type: str = "g5.xlarge"
    gpu_per_task: int = Field(1, ge=1, le=8)
    min_instances: int = Field(1, ge=0)
    max_instances: int = Field(2, ge=1)
    min_tasks: int = Field(1, ge=0)
    max_tasks: int = Field(2, ge=1)
    task_memory_mib: int = 12288
    container_image: str = "nvcr.io/nvidia/tritonserver:24.10-py3"
    model_repository_prefix: str = "model-repository"
    gpu_utilisation_target_percent: int = Field(70, ge=10, le=100)
    queue_backlog_per_task: int = Field(20, ge=1)


class FunctionsConfig(_Section):
    """Lambda defaults shared by every function of the catalog."""

    architecture: Architecture = Architecture.ARM64
    memory_mb: int = Field(1024, ge=128, le=10240)
    log_retention_days: LogRetentionDays = 14
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    tracing: bool = True
    #: Lambda SnapStart on published versions for the functions API Gateway invokes (routes and authorizers),
    #: which it then invokes through the `live` alias (SnapStart applies only to published versions). Off where
    #: no Lambda service snapshots anything (the local stage, played by the local runtime).
    snap_start: bool = False
    reserved_concurrency: int | None = None
    deps_layer_dir: str = ".build/layers/deps"


class QueuesConfig(_Section):
    max_receive_count: int = Field(3, ge=1, le=1000)
    dlq_retention_days: int = Field(14, ge=1, le=14)


class WorkflowConfig(_Section):
    map_max_concurrency: int = Field(8, ge=1, le=1000)
    #: a job with this many chunks or more runs the Distributed Map (items read from S3, a child execution per
    #: chunk) instead of the inline Map; 240 chunks of at most 30 s is 2 h of audio or more
    distributed_map_min_chunks: int = Field(240, ge=1)
    chunk_timeout_s: int = Field(300, ge=10)
    step_timeout_s: int = Field(900, ge=10)
    #: HeartbeatSeconds of the long single-message steps (prepare, assemble): their workers beat every 20 s, so a
    #: worker that died is noticed in this time instead of at step_timeout_s (the time a message may wait in its
    #: queue counts too, hence the margin)
    step_heartbeat_s: int = Field(180, ge=10)


class ApiConfig(_Section):
    """Gateway-wide throttling (a safety net; per-key limits are the project's own limiter, see README)."""

    stage_name: str = "v1"
    throttle_rate: float = Field(50, gt=0)
    throttle_burst: int = Field(100, gt=0)
    #: 0 by default: API Gateway caches authorizer results only for requests carrying *every* identity
    #: source, and keys may come in `x-api-key`, `Authorization: Bearer` or raw `Authorization` (Dhruva).
    #: With no identity source the authorizer sees every request and no client style gets a gateway 401.
    authorizer_cache_ttl_s: int = Field(0, ge=0, le=3600)
    rest_identity_sources: list[str] = []
    #: empty: the key may come in a header, in the `speech.v1` subprotocol offer (browsers cannot set headers on a
    #: WebSocket) or as `?key=`, and API Gateway refuses (401) a request missing any listed source
    websocket_identity_sources: list[str] = []
    access_log_retention_days: LogRetentionDays = 30
    domain_name: str | None = None
    certificate_arn: str | None = None

    @model_validator(mode="after")
    def _cache_needs_identity_sources(self) -> ApiConfig:
        if self.authorizer_cache_ttl_s > 0 and not self.rest_identity_sources:
            raise ValueError("authorizer caching needs rest_identity_sources (API Gateway caches per identity)")
        return self

    @model_validator(mode="after")
    def _domain_needs_certificate(self) -> ApiConfig:
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise ValueError("api.domain_name and api.certificate_arn go together")
        return self


class NotifyConfig(_Section):
    """Job webhooks: where the stage's signing key lives, and whether receivers may be local."""

    #: the stage's webhook signing key is a generated Secrets Manager secret (its ARN goes to the signing
    #: functions as WEBHOOK_SIGNING_SECRET_ARN); false only where no AWS account is involved (the local stage,
    #: whose functions sign with WEBHOOK_SIGNING_KEY's development default)
    signing_secret: bool = True
    #: http:// webhooks and loopback/private receivers (WEBHOOK_ALLOW_INSECURE_LOCAL): the local stage only
    allow_insecure_webhooks: bool = False


class ConsoleConfig(_Section):
    """The web console (console/, a static single-page app): where it is served and the origin the API allows."""

    #: S3 + CloudFront (origin access control, security headers) in this stack; false where something else serves
    #: the built app (the local stage: the local cloud's console server)
    hosted: bool = True
    #: the console's origin (scheme://host[:port]) when it is not the stage's CloudFront address: a custom domain,
    #: or locally the console server's address, which the local cloud passes at synth time. The REST API's CORS
    #: allows exactly this one origin (or the CloudFront address where hosted and unset).
    origin: str | None = Field(None, pattern=r"^https?://[^/\s]+$")


class AudioUrlConfig(_Section):
    """`audio[].audioUri` https links (speech_core.outbound.audio_link): what the functions that read audio allow."""

    #: http:// links and loopback hosts (AUDIO_URL_ALLOW_LOCAL): the local stage only (private, link-local and
    #: metadata addresses stay refused everywhere)
    allow_local: bool = False
    #: a PEM file of extra trusted CA certificates (AUDIO_URL_CA_BUNDLE), relative to the repository root: the local
    #: stage's test CA (tests/e2e/test_ulca_clients.py writes it); never set where the stage is in AWS
    ca_bundle: str | None = None


class ObservabilityConfig(_Section):
    alarms: bool = True
    alarm_email: str | None = None
    api_5xx_percent: float = Field(1.0, gt=0)
    api_p99_latency_ms: int = Field(5000, gt=0)
    dashboard: bool = True


class StageConfig(_Section):
    """Everything that differs between stages. Built by `load_stage_config` from cdk.json context."""

    stage: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    region: str | None = None
    account: str | None = None
    network: NetworkConfig = NetworkConfig()
    storage: StorageConfig = StorageConfig()
    database: DatabaseConfig = DatabaseConfig()
    inference: InferenceConfig = InferenceConfig()
    functions: FunctionsConfig = FunctionsConfig()
    queues: QueuesConfig = QueuesConfig()
    workflow: WorkflowConfig = WorkflowConfig()
    api: ApiConfig = ApiConfig()
    notify: NotifyConfig = NotifyConfig()
    audio_urls: AudioUrlConfig = AudioUrlConfig()
    console: ConsoleConfig = ConsoleConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    tags: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> StageConfig:
        # Aurora and the GPU fleet live in private subnets: without a VPC only the external modes make sense.
        if not self.network.enabled and (self.database.mode == "aurora" or self.inference.mode == "ecs"):
            raise ValueError("network.enabled=false needs database.mode=external and inference.mode=external")
        # A stage in AWS (in a VPC) signs webhooks with its own secret key and calls public receivers only.
        if self.network.enabled and (not self.notify.signing_secret or self.notify.allow_insecure_webhooks):
            raise ValueError("notify.signing_secret=false and notify.allow_insecure_webhooks are for the local stage")
        # ... and fetches public https audio links only, trusting the system's CAs alone
        if self.network.enabled and (self.audio_urls.allow_local or self.audio_urls.ca_bundle):
            raise ValueError("audio_urls.allow_local and audio_urls.ca_bundle are for the local stage")
        if self.storage.auto_delete_objects and self.storage.retain_on_delete:
            raise ValueError("storage.auto_delete_objects contradicts storage.retain_on_delete")
        return self


def load_stage_config(stage: str, stages_context: dict[str, Any]) -> StageConfig:
    """Validate the context block of one stage (`cdk.json` → `context.stages.<stage>`) into a StageConfig."""
    if stage not in stages_context:
        known = ", ".join(sorted(stages_context)) or "none"
        raise ValueError(f"unknown stage {stage!r}: cdk.json context 'stages' defines {known}")
    return StageConfig.model_validate({"stage": stage, **stages_context[stage]})
