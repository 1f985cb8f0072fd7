"""What streaming TTS needs: the stream function's adapters, and the TTS state store beside them."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from speech_core.streaming.dependencies import SettingsStreamDeps, get_stream_deps

if TYPE_CHECKING:  # types only: each adapter is imported by its builder, when a message first needs it
    from speech_core.db.ports import RequestLogRepository
    from speech_core.db.repositories.tts_streams import SqlTtsStreamStore
    from speech_core.inference import InferenceClient, ModelRegistry
    from speech_core.streaming.ports import ConnectionPush, RequestLimiter, StreamStore


class SettingsTtsDeps:
    def __init__(self, stream: SettingsStreamDeps) -> None:
        self._stream = stream

    @cached_property
    def tts_store(self) -> SqlTtsStreamStore:
        from speech_core.db.engine import default_database_url, get_sessions  # cold start: at the first message
        from speech_core.db.repositories.tts_streams import SqlTtsStreamStore  # cold start: as above

        return SqlTtsStreamStore(get_sessions(default_database_url()))

    @property
    def streams(self) -> StreamStore:
        return self._stream.store

    @property
    def registry(self) -> ModelRegistry:
        return self._stream.registry

    @property
    def inference(self) -> InferenceClient:
        return self._stream.inference

    @property
    def request_log(self) -> RequestLogRepository:
        return self._stream.request_log

    @property
    def rate_limiter(self) -> RequestLimiter:
        return self._stream.rate_limiter

    @property
    def push(self) -> ConnectionPush:
        return self._stream.push


@lru_cache(maxsize=1)
def get_tts_deps() -> SettingsTtsDeps:
    return SettingsTtsDeps(get_stream_deps())
