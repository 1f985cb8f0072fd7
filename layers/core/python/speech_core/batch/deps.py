"""What the batch steps need, built from the function's environment on first use (each function builds only
what it touches); unit tests pass `StaticBatchDeps` with fakes. The one place the batch path meets adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from speech_core.batch.settings import BatchSettings, ConsumerSettings
from speech_core.settings import JobLimits, JobQueueSettings, StorageSettings, WorkflowSettings, read_settings

if TYPE_CHECKING:  # types only: each adapter is imported by the builder below, when a step first needs it
    from speech_core.batch.ports import BatchObjects, MessageDelay, WorkflowStarter, WorkflowTasks
    from speech_core.db.ports import (
        JobChunkRepository,
        JobRepository,
        RequestLogRepository,
        TenantRepository,
    )
    from speech_core.inference import InferenceClient, ModelRegistry
    from speech_core.orchestration.job_start_queue import JobStartQueue


class BatchDeps(Protocol):
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def chunks(self) -> JobChunkRepository: ...
    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def request_log(self) -> RequestLogRepository: ...
    @property
    def objects(self) -> BatchObjects: ...
    @property
    def tasks(self) -> WorkflowTasks: ...
    @property
    def delays(self) -> MessageDelay: ...
    @property
    def starter(self) -> WorkflowStarter: ...
    @property
    def start_queue(self) -> JobStartQueue: ...
    @property
    def registry(self) -> ModelRegistry: ...
    @property
    def inference(self) -> InferenceClient: ...
    @property
    def storage(self) -> StorageSettings: ...
    @property
    def settings(self) -> BatchSettings: ...
    @property
    def limits(self) -> JobLimits: ...
    @property
    def consumer(self) -> ConsumerSettings: ...
    def reset_inference(self) -> None:
        """Drop the model server's connection, so the next call dials it afresh."""
        ...


@dataclass
class StaticBatchDeps:
    """Dependencies given up front (unit tests, tools); leave out what a test does not touch."""

    jobs: Any = None
    chunks: Any = None
    tenants: Any = None
    request_log: Any = None
    objects: Any = None
    tasks: Any = None
    delays: Any = None
    starter: Any = None
    start_queue: Any = None
    registry: Any = None
    inference: Any = None
    storage: StorageSettings = field(default_factory=StorageSettings)
    settings: BatchSettings = field(default_factory=BatchSettings)
    limits: JobLimits = field(default_factory=JobLimits)
    consumer: ConsumerSettings = field(default_factory=ConsumerSettings)
    resets: int = 0

    def reset_inference(self) -> None:
        self.resets += 1


class SettingsBatchDeps:
    """Dependencies from the function's environment (CDK-written), each built once, when first needed."""

    @cached_property
    def _repositories(self) -> Any:
        from speech_core.db.engine import default_database_url  # cold start: SQLAlchemy at the first call
        from speech_core.db.repositories import get_repositories

        return get_repositories(default_database_url())

    @property
    def jobs(self) -> JobRepository:
        return self._repositories.jobs

    @property
    def chunks(self) -> JobChunkRepository:
        return self._repositories.job_chunks

    @property
    def tenants(self) -> TenantRepository:
        return self._repositories.tenants

    @property
    def request_log(self) -> RequestLogRepository:
        return self._repositories.request_log

    def _client(self, service: str) -> Any:
        return _boto3_client(service)

    @cached_property
    def objects(self) -> BatchObjects:
        from speech_core.batch.aws import S3BatchObjects

        return S3BatchObjects(self._client("s3"))

    @cached_property
    def tasks(self) -> WorkflowTasks:
        from speech_core.batch.aws import StepFunctionsTasks

        return StepFunctionsTasks(self._client("stepfunctions"))

    @cached_property
    def delays(self) -> MessageDelay:
        from speech_core.batch.aws import SqsMessageDelay

        return SqsMessageDelay(self._client("sqs"))

    @cached_property
    def starter(self) -> WorkflowStarter:
        from speech_core.batch.aws import StepFunctionsStarter

        arn = read_settings(WorkflowSettings).job_state_machine_arn
        return StepFunctionsStarter(self._client("stepfunctions"), arn)

    @cached_property
    def start_queue(self) -> JobStartQueue:
        from speech_core.orchestration.job_start_queue import SqsJobStartQueue

        return SqsJobStartQueue(self._client("sqs"), read_settings(JobQueueSettings).job_start_queue_url)

    @cached_property
    def registry(self) -> ModelRegistry:
        from speech_core.inference import load_packaged_registry  # cold start: yaml at the first call
        from speech_core.settings import get_registry_settings

        return load_packaged_registry(get_registry_settings().model_registry)

    _inference: InferenceClient | None = None

    @property
    def inference(self) -> InferenceClient:
        """A client over this function's own connection (not the process-wide cached one), so that
        `reset_inference` can replace it."""
        if self._inference is None:
            from speech_core.inference import InferenceClient  # cold start: tritonclient at the first call
            from speech_core.inference.transport import GrpcTransport, HttpTransport
            from speech_core.settings import get_inference_settings

            settings = get_inference_settings()
            timeout_s = max(settings.triton_timeout_s, self.settings.triton_timeout_s)
            transport = (
                GrpcTransport(settings.triton_url)
                if settings.triton_protocol == "grpc"
                else HttpTransport(settings.triton_url, timeout_s)
            )
            self._inference = InferenceClient(transport, timeout_s=timeout_s)
        return self._inference

    def reset_inference(self) -> None:
        """A gRPC channel that saw the server go away backs off its reconnects (up to 2 minutes) and fails calls
        meanwhile; after a transient model error the next delivery dials a fresh one instead."""
        client, self._inference = self._inference, None
        close = getattr(client.transport, "close", None) if client is not None else None
        if close is not None:
            close()

    @cached_property
    def storage(self) -> StorageSettings:
        return read_settings(StorageSettings)

    @cached_property
    def settings(self) -> BatchSettings:
        return read_settings(BatchSettings)

    @cached_property
    def limits(self) -> JobLimits:
        return read_settings(JobLimits)

    @cached_property
    def consumer(self) -> ConsumerSettings:
        return read_settings(ConsumerSettings)


@lru_cache(maxsize=8)
def _boto3_client(service: str) -> Any:
    import boto3  # cold start: only on the first AWS call

    return boto3.client(service)  # type: ignore[call-overload]


@lru_cache(maxsize=1)
def get_batch_deps() -> BatchDeps:
    return SettingsBatchDeps()
