"""What the jobs API service needs: the job and chunk repositories, S3, the job-start queue, the state
machine's executions, the model registry and the job limits. Built from settings on first use (each jobs
function builds only what its route touches); unit tests pass `StaticJobServiceDeps` fakes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Protocol

from speech_core.settings import (
    JobLimits,
    StorageSettings,
    get_job_limits,
    get_job_queue_settings,
    get_notify_settings,
    get_registry_settings,
    get_storage_settings,
)
from speech_core.storage.object_store import ObjectLifecycle, ObjectStore

if TYPE_CHECKING:  # types only: each adapter is imported by the builder below, when a call first needs it
    from speech_core.db.ports import JobChunkRepository, JobRepository
    from speech_core.db.repositories import Repositories
    from speech_core.inference import ModelRegistry
    from speech_core.orchestration.executions import JobExecutions
    from speech_core.orchestration.job_start_queue import JobStartQueue


class JobObjects(ObjectStore, ObjectLifecycle, Protocol):
    """S3 as the jobs API uses it: reads, presigned links, HEAD and deletes."""


class JobServiceDeps(Protocol):
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def job_chunks(self) -> JobChunkRepository: ...
    @property
    def objects(self) -> JobObjects: ...
    @property
    def storage(self) -> StorageSettings: ...
    @property
    def job_limits(self) -> JobLimits: ...
    @property
    def registry(self) -> ModelRegistry: ...
    @property
    def job_start(self) -> JobStartQueue: ...
    @property
    def executions(self) -> JobExecutions: ...
    @property
    def webhook_allow_insecure_local(self) -> bool: ...


@dataclass(frozen=True)
class StaticJobServiceDeps:
    """Dependencies given up front (tests, tools)."""

    jobs: JobRepository
    job_chunks: JobChunkRepository
    objects: JobObjects
    storage: StorageSettings
    job_limits: JobLimits
    registry: ModelRegistry
    job_start: JobStartQueue
    executions: JobExecutions
    #: the local stage's relaxed webhook URL rule (NotifySettings); False everywhere else
    webhook_allow_insecure_local: bool = False


class SettingsJobServiceDeps:
    """Dependencies from the function's environment (CDK-written), each built once, when first needed."""

    @cached_property
    def _repositories(self) -> Repositories:
        from speech_core.db.engine import default_database_url  # cold start: SQLAlchemy at the first call
        from speech_core.db.repositories import get_repositories

        return get_repositories(default_database_url())

    @property
    def jobs(self) -> JobRepository:
        return self._repositories.jobs

    @property
    def job_chunks(self) -> JobChunkRepository:
        return self._repositories.job_chunks

    @cached_property
    def objects(self) -> JobObjects:
        from speech_core.storage.object_store import get_object_store  # cold start: boto3 at the first S3 call

        return get_object_store()

    @cached_property
    def storage(self) -> StorageSettings:
        return get_storage_settings()

    @cached_property
    def job_limits(self) -> JobLimits:
        return get_job_limits()

    @cached_property
    def registry(self) -> ModelRegistry:
        from speech_core.inference import load_packaged_registry  # cold start: yaml at the first create

        return load_packaged_registry(get_registry_settings().model_registry)

    @cached_property
    def job_start(self) -> JobStartQueue:
        from speech_core.orchestration.job_start_queue import get_job_start_queue  # cold start: boto3 SQS

        return get_job_start_queue(get_job_queue_settings().job_start_queue_url)

    @cached_property
    def executions(self) -> JobExecutions:
        from speech_core.orchestration.executions import get_job_executions  # cold start: boto3 Step Functions

        return get_job_executions()

    @cached_property
    def webhook_allow_insecure_local(self) -> bool:
        return get_notify_settings().webhook_allow_insecure_local


@lru_cache(maxsize=1)
def get_job_service_deps() -> JobServiceDeps:
    return SettingsJobServiceDeps()
