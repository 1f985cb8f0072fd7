"""What the services need, built once per warm process from settings, replaceable by fakes in unit tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from speech_core.api.caller import Caller
from speech_core.api.metering import CallRecord
from speech_core.db.ports import RequestLogRepository, ResultRepository, UsageRepository
from speech_core.inference import InferenceClient, ModelRegistry, ModelSelection, Task
from speech_core.keys.rate_limiter import RateLimiter
from speech_core.settings import StorageSettings, SyncLimits
from speech_core.storage.object_store import ObjectStore


@dataclass(frozen=True)
class ServiceDeps:
    registry: ModelRegistry
    inference: InferenceClient
    request_log: RequestLogRepository
    results: ResultRepository
    usage: UsageRepository
    rate_limiter: RateLimiter
    objects: ObjectStore
    storage: StorageSettings
    limits: SyncLimits


@dataclass
class CallContext:
    """One call: who makes it, what is recorded about it, and the dependencies to serve it."""

    caller: Caller
    call: CallRecord
    request_id: str
    deps: ServiceDeps
    data_tracking: bool = False

    def select(self, task: Task, **criteria: str) -> ModelSelection:
        """The registry's model for this task; the A/B arm is sticky per tenant."""
        return self.deps.registry.select(task, key=str(self.caller.tenant_id), **criteria)

    def tracking_key(self, name: str) -> str:
        """Where audit copies of this call go when the caller allowed data tracking."""
        return f"tracking/{self.caller.tenant_id}/{self.request_id}/{name}"

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.caller.tenant_id


@lru_cache(maxsize=1)
def get_service_deps() -> ServiceDeps:
    """From the function's environment (CDK-written): database, Triton, registry, buckets, limits."""
    from speech_core.db.engine import default_database_url, get_sessions
    from speech_core.db.repositories import get_repositories
    from speech_core.inference import get_inference_client, load_packaged_registry
    from speech_core.settings import get_inference_settings, get_storage_settings, get_sync_limits
    from speech_core.storage.object_store import get_object_store

    url = default_database_url()
    repositories = get_repositories(url)
    inference = get_inference_settings()
    return ServiceDeps(
        registry=load_packaged_registry(inference.model_registry),
        inference=get_inference_client(inference.triton_url, inference.triton_protocol,
                                       timeout_s=inference.triton_timeout_s),
        request_log=repositories.request_log,
        results=repositories.results,
        usage=repositories.usage,
        rate_limiter=RateLimiter(get_sessions(url)),
        objects=get_object_store(),
        storage=get_storage_settings(),
        limits=get_sync_limits(),
    )
