"""The stream service's adapters, built from the function's settings on first use (each once per process)."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from speech_core.settings import get_inference_settings, get_registry_settings, read_settings
from speech_core.streaming.connection_push import ApiGatewayConnectionPush
from speech_core.streaming.stream_settings import StreamingSettings

if TYPE_CHECKING:  # types only: each adapter is imported by its builder, when a frame first needs it
    from speech_core.db.ports import RequestLogRepository
    from speech_core.db.repositories.streams import SqlStreamStore
    from speech_core.inference import InferenceClient, ModelRegistry
    from speech_core.keys.rate_limiter import RateLimiter
    from speech_core.streaming.stream_timers import SqsTimerQueue


class SettingsStreamDeps:
    @cached_property
    def _database_url(self) -> str:
        from speech_core.db.engine import default_database_url  # cold start: SQLAlchemy at the first event

        return default_database_url()

    @cached_property
    def store(self) -> SqlStreamStore:
        from speech_core.db.engine import get_sessions  # cold start: SQLAlchemy at the first event
        from speech_core.db.repositories.streams import SqlStreamStore  # cold start: as above

        return SqlStreamStore(get_sessions(self._database_url))

    @cached_property
    def registry(self) -> ModelRegistry:
        from speech_core.inference import load_packaged_registry  # cold start: yaml at the first start

        return load_packaged_registry(get_registry_settings().model_registry)

    @cached_property
    def inference(self) -> InferenceClient:
        from speech_core.inference import get_inference_client  # cold start: tritonclient at the first audio

        settings = get_inference_settings()
        return get_inference_client(settings.triton_url, settings.triton_protocol, timeout_s=settings.triton_timeout_s)

    @cached_property
    def request_log(self) -> RequestLogRepository:
        from speech_core.db.repositories import get_repositories  # cold start: SQLAlchemy at the first stop

        return get_repositories(self._database_url).request_log

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from speech_core.db.engine import get_sessions  # cold start: SQLAlchemy at the first start
        from speech_core.keys.rate_limiter import RateLimiter  # cold start: as above

        return RateLimiter(get_sessions(self._database_url))

    @cached_property
    def push(self) -> ApiGatewayConnectionPush:
        return ApiGatewayConnectionPush(read_settings(StreamingSettings).websocket_callback_url)

    @cached_property
    def timers(self) -> SqsTimerQueue:
        from speech_core.streaming.stream_timers import StreamTimerSettings, get_timer_queue

        return get_timer_queue(read_settings(StreamTimerSettings).stream_timers_queue_url)


@lru_cache(maxsize=1)
def get_stream_deps() -> SettingsStreamDeps:
    return SettingsStreamDeps()
