"""What the stream service needs from the outside world; the SQL store, Triton client and @connections
adapter implement these, unit tests pass fakes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from speech_core.db.ports import RequestLogRepository
from speech_core.db.records import StreamFinalRecord, StreamState
from speech_core.keys.scopes import KeyLimits

if TYPE_CHECKING:  # types only: numpy and tritonclient load with the first audio frame
    from speech_core.inference import InferenceClient, ModelRegistry


class StreamStore(Protocol):
    def open(self, connection_id: str, tenant_id: uuid.UUID, api_key_id: uuid.UUID | None) -> StreamState: ...
    def peek(self, connection_id: str) -> StreamState | None: ...
    def count_live_streams(self, api_key_id: uuid.UUID) -> int: ...
    def locked(self, connection_id: str) -> AbstractContextManager[StreamState | None]: ...
    def locked_session(self, session_id: uuid.UUID) -> AbstractContextManager[StreamState | None]: ...
    def session_connection(self, session_id: uuid.UUID) -> StreamState | None: ...
    def undelivered_finals(self, session_id: uuid.UUID) -> list[int]: ...
    def locked_final(
        self, session_id: uuid.UUID, utterance: int, *, wait: bool
    ) -> AbstractContextManager[StreamFinalRecord | None]: ...


class ConnectionPush(Protocol):
    def send(self, connection_id: str, messages: Sequence[str]) -> bool:
        """True when every message reached the connection; False when it is gone."""
        ...


class RequestLimiter(Protocol):
    def acquire(self, key_id: uuid.UUID, limits: KeyLimits) -> None: ...


class StreamDeps(Protocol):
    @property
    def store(self) -> StreamStore: ...
    @property
    def registry(self) -> ModelRegistry: ...
    @property
    def inference(self) -> InferenceClient: ...
    @property
    def request_log(self) -> RequestLogRepository: ...
    @property
    def rate_limiter(self) -> RequestLimiter: ...
    @property
    def push(self) -> ConnectionPush: ...
