"""What the services need. Production builds each piece from settings on first use (a function only builds
what it touches: the usage route never opens a Triton channel); unit tests pass `StaticServiceDeps` fakes.

This is the one place the services meet the adapters (repositories, S3, Triton); every other service module
sees only the ports below."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Protocol

from speech_core.keys.caller import Caller
from speech_core.services.metering import CallRecord
from speech_core.settings import (
    StorageSettings,
    SyncLimits,
    get_audio_link_settings,
    get_inference_settings,
    get_registry_settings,
    get_storage_settings,
    get_sync_limits,
)

if TYPE_CHECKING:  # types only: each adapter is imported by the builder below, when a call first needs it
    from speech_core.db.ports import RequestLogRepository, UsageRepository
    from speech_core.db.repositories import Repositories
    from speech_core.inference import InferenceClient, ModelRegistry, ModelSelection, Task
    from speech_core.keys.rate_limiter import RateLimiter
    from speech_core.storage.object_store import ObjectStore


class AudioLinkReader(Protocol):
    """Fetches an `audio[].audioUri` https link for a tenant (speech_core.outbound.audio_link)."""

    def fetch(self, url: str, tenant_id: uuid.UUID, max_bytes: int) -> bytes: ...


class ServiceDeps(Protocol):
    @property
    def registry(self) -> ModelRegistry: ...
    @property
    def inference(self) -> InferenceClient: ...
    @property
    def request_log(self) -> RequestLogRepository: ...
    @property
    def usage(self) -> UsageRepository: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def objects(self) -> ObjectStore: ...
    @property
    def storage(self) -> StorageSettings: ...
    @property
    def limits(self) -> SyncLimits: ...
    @property
    def audio_links(self) -> AudioLinkReader: ...


@dataclass(frozen=True)
class StaticServiceDeps:
    """Dependencies given up front (tests, tools)."""

    registry: ModelRegistry
    inference: InferenceClient
    request_log: RequestLogRepository
    usage: UsageRepository
    rate_limiter: RateLimiter
    objects: ObjectStore
    storage: StorageSettings
    limits: SyncLimits
    audio_links: AudioLinkReader | None = None


class SettingsServiceDeps:
    """Dependencies from the function's environment (CDK-written), each built once, when first needed."""

    @cached_property
    def _database_url(self) -> str:
        from speech_core.db.engine import default_database_url  # cold start: SQLAlchemy at the first call

        return default_database_url()

    @cached_property
    def registry(self) -> ModelRegistry:
        from speech_core.inference import load_packaged_registry  # cold start: numpy, yaml at the first call

        return load_packaged_registry(get_registry_settings().model_registry)

    @cached_property
    def inference(self) -> InferenceClient:
        from speech_core.inference import get_inference_client  # cold start: tritonclient at the first call

        settings = get_inference_settings()
        return get_inference_client(settings.triton_url, settings.triton_protocol, timeout_s=settings.triton_timeout_s)

    @cached_property
    def _repositories(self) -> Repositories:
        from speech_core.db.repositories import get_repositories  # cold start: SQLAlchemy at the first call

        return get_repositories(self._database_url)

    @property
    def request_log(self) -> RequestLogRepository:
        return self._repositories.request_log

    @property
    def usage(self) -> UsageRepository:
        return self._repositories.usage

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from speech_core.db.engine import get_sessions  # cold start: SQLAlchemy at the first call
        from speech_core.keys.rate_limiter import RateLimiter  # cold start: SQLAlchemy at the first call

        return RateLimiter(get_sessions(self._database_url))

    @cached_property
    def objects(self) -> ObjectStore:
        from speech_core.storage.object_store import get_object_store  # cold start: boto3 at the first S3 call

        return get_object_store()

    @cached_property
    def storage(self) -> StorageSettings:
        return get_storage_settings()

    @cached_property
    def limits(self) -> SyncLimits:
        return get_sync_limits()

    @cached_property
    def audio_links(self) -> AudioLinkReader:
        # cold start: http.client and ssl load with the first https audioUri
        from speech_core.outbound.audio_link import AudioLinkFetcher, AudioLinkPolicy

        settings = get_audio_link_settings()
        tenants = self._repositories.tenants

        def allowed_hosts(tenant_id: object) -> list[str]:
            assert isinstance(tenant_id, uuid.UUID)
            tenant = tenants.get(tenant_id)
            return list(tenant.audio_url_allowed_hosts) if tenant is not None else []

        policy = AudioLinkPolicy(
            allow_local=settings.allow_local,
            ca_bundle=settings.ca_bundle,
            timeout_s=settings.timeout_s,
            max_redirects=settings.max_redirects,
        )
        return AudioLinkFetcher(policy, allowed_hosts)


@dataclass
class CallContext:
    """One call: who makes it, what is recorded about it, and the dependencies to serve it."""

    caller: Caller
    call: CallRecord
    request_id: str
    deps: ServiceDeps

    def select(
        self,
        task: Task,
        *,
        language: str | None = None,
        source: str | None = None,
        target: str | None = None,
        voice: str | None = None,
        service_id: str | None = None,
    ) -> ModelSelection:
        """The registry's model for this task (the one `service_id` names, when it serves the request); the A/B
        arm is sticky per tenant. The service and version are recorded as having served this call."""
        selection = self.deps.registry.select(
            task,
            key=str(self.caller.tenant_id),
            language=language,
            source=source,
            target=target,
            voice=voice,
            service_id=service_id,
        )
        self.call.served.append((selection.service_id, selection.version))
        return selection

    def tracking_key(self, name: str) -> str:
        """Where copies of this call's inputs and outputs go (controlConfig.dataTracking)."""
        return f"tracking/{self.caller.tenant_id}/{self.request_id}/{name}"

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.caller.tenant_id


@lru_cache(maxsize=1)
def get_service_deps() -> ServiceDeps:
    return SettingsServiceDeps()
