"""Streaming TTS over the WebSocket API (docs/streaming-tts.md): text in, audio out, sentence by sentence.

Each client message is one invocation. `start` opens the session; `text` queues its sentences in the connection
row (`tts_state`) and, when no other invocation of the connection is synthesizing, synthesizes the queue one
sentence at a time, sending each sentence's audio as soon as it is ready; `clear` drops queued text (it runs
beside a synthesizing invocation, which checks the row between sentences); `stop` synthesizes what is left and
ends with `end`. Audio is pushed through @connections while the invocation runs; the row lock is held only
for short reads and writes, never while a sentence is synthesized.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import TypeAdapter, ValidationError

from speech_core.contracts.parsing import to_speech_error
from speech_core.contracts.streaming import (
    MAX_CONCURRENT_STREAMS_PER_KEY,
    ClearedMessage,
    ClearMessage,
    ErrorFrame,
    KeepaliveAnswer,
    KeepaliveMessage,
    ServerMessage,
    StopMessage,
    TextMessage,
    TtsClientMessage,
    TtsEndMessage,
    TtsLimits,
    TtsReadyMessage,
    TtsStartMessage,
)
from speech_core.db.ports import RequestLogRepository
from speech_core.db.records import ConnectionState, RequestLogEntry
from speech_core.errors import ErrorCode, InternalError, LimitError, RequestError, SpeechError
from speech_core.keys.caller import Caller
from speech_core.observability import logger, tracer
from speech_core.streaming.ports import ConnectionPush, RequestLimiter
from speech_core.streaming.tts_sentences import MAX_SENTENCE_CHARS
from speech_core.streaming.tts_state import QueuedSentence, TtsState

if TYPE_CHECKING:  # types only: numpy, tritonclient and SQLAlchemy load with the first message that needs them
    import numpy as np

    from speech_core.db.repositories.tts_streams import TtsStreamRow
    from speech_core.inference import InferenceClient, ModelRegistry, ModelSelection

#: the task a TTS stream is metered under: the sync TTS's, so usage per key and day counts both
TTS_TASK = "tts"
_TTS_ACTIONS = frozenset({"text", "clear"})
_TTS_MESSAGE: TypeAdapter[TtsClientMessage] = TypeAdapter(TtsClientMessage)
#: epoch seconds now (tests replace it)
clock = time.time


class TtsStreamStore(Protocol):
    def task_of(self, connection_id: str) -> str | None: ...
    def locked(self, connection_id: str) -> AbstractContextManager[TtsStreamRow | None]: ...


class LiveStreams(Protocol):
    def count_live_streams(self, api_key_id: uuid.UUID) -> int: ...


class TtsDeps(Protocol):
    @property
    def tts_store(self) -> TtsStreamStore: ...
    @property
    def streams(self) -> LiveStreams: ...
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


# --- routing ----------------------------------------------------------------------------------------------------
def is_tts_stream(connection_id: str, body: str | None, is_disconnect: bool, deps: TtsDeps) -> bool:
    """Whether this event belongs to streaming TTS: `start` with task `tts`, `text`, `clear`; and `stop`,
    `keepalive` or $disconnect on a connection whose stream is TTS (one unlocked read of its task)."""
    if is_disconnect:
        return deps.tts_store.task_of(connection_id) == TTS_TASK
    try:
        message = json.loads(body or "")
    except ValueError:
        return False
    if not isinstance(message, dict):
        return False
    action = message.get("action")
    if action in _TTS_ACTIONS:
        return True
    if action == "start":
        return message.get("task") == TTS_TASK
    if action in ("stop", "keepalive"):
        return deps.tts_store.task_of(connection_id) == TTS_TASK
    return False


# --- messages ---------------------------------------------------------------------------------------------------
def handle_tts_message(
    connection_id: str, caller: Caller, body: str | None, deps: TtsDeps, invocation_id: str | None = None
) -> list[ServerMessage]:
    """A client message -> the answers left to send (audio already went out as it was synthesized)."""
    holder = invocation_id or uuid.uuid4().hex
    seq: int | None = None
    try:
        message = _parse(body)
        seq = message.seq if isinstance(message, TextMessage) else None
        if isinstance(message, TtsStartMessage):
            return [_start(message, connection_id, caller, deps)]
        if isinstance(message, KeepaliveMessage):
            with _session(connection_id, deps) as (_, state):
                return [KeepaliveAnswer(ack=state.ack)]
        if isinstance(message, ClearMessage):
            return [_clear(message, connection_id, deps)]
        if isinstance(message, TextMessage):
            with _session(connection_id, deps, text_seq=message.seq) as (_, state):
                state.apply_text(message.seq, message.text, message.flush)
            return synthesize_queue(connection_id, holder, deps)
        assert isinstance(message, StopMessage)
        with _session(connection_id, deps) as (_, state):
            state.request_stop(message.last_seq)
        return synthesize_queue(connection_id, holder, deps)
    except SpeechError as error:
        return [_error_frame(error, seq, connection_id, deps)]
    except Exception:
        logger.exception("tts stream message failed", extra={"connection_id": connection_id, "seq": seq})
        return [_error_frame(InternalError(), seq, connection_id, deps)]


def disconnect_tts(connection_id: str, deps: TtsDeps) -> None:
    """$disconnect: what was spoken is metered once; queued text is dropped; the row is closed."""
    with deps.tts_store.locked(connection_id) as row:
        if row is None:
            return
        if row.session_id is not None and row.usage_recorded_at is None:
            state = TtsState.model_validate(row.tts_state)
            _record_usage(row, state, deps)
            row.tts_state = state.model_dump()
        row.state = ConnectionState.CLOSED


@tracer.capture_method(capture_response=False)
def synthesize_queue(connection_id: str, holder: str, deps: TtsDeps) -> list[ServerMessage]:
    """Synthesizes the queued sentences one by one while this invocation holds the session's lease, pushing
    each one's audio when it is ready; ends the stream (`end`) when `stop` was asked and nothing is left.
    Returns at once when another invocation holds the lease: it will take what was queued."""
    from speech_core.streaming import tts_audio  # cold start: numpy loads with the first sentence

    done: tuple[QueuedSentence, np.ndarray] | None = None  # the sentence just synthesized, and its speech
    while True:
        messages: Sequence[ServerMessage] = []
        answers: list[ServerMessage] = []
        # one transaction per sentence: send the one just synthesized (unless cleared), take the next
        with deps.tts_store.locked(connection_id) as row:
            if row is None or _ended(row):
                return []
            state = TtsState.model_validate(row.tts_state)
            rate = row.sample_rate or 16_000
            if done is not None:
                sentence, signal = done
                if not state.holds(holder, sentence):  # the lease ran out and another invocation took over
                    return []
                if state.is_cleared(sentence):
                    state.drop_in_flight()
                else:
                    samples = tts_audio.with_pause(signal, rate, first=state.sentences_spoken == 0)
                    messages = tts_audio.audio_chunks(
                        samples,
                        rate,
                        ack=state.ack,
                        first_seq=state.next_audio_seq,
                        text_seq=sentence.text_seq,
                        start_s=state.audio_seconds,
                    )
                    state.spoken(sentence, samples.size / rate, len(messages))
            elif not state.may_synthesize(holder, clock()):
                return []
            taken = state.take_sentence(holder, clock())
            if taken is None and state.stop_due:
                answers = [_record_usage(row, state, deps)]
            row.tts_state = state.model_dump()
            language, voice, tenant_id = row.source_language or "", state.voice, row.tenant_id
        if messages:
            deps.push.send(connection_id, [m.model_dump_json(by_alias=True, exclude_none=True) for m in messages])
        if taken is None:
            return answers
        try:
            done = (taken, _synthesize(taken, language, voice, rate, tenant_id, deps))
        except SpeechError:
            with deps.tts_store.locked(connection_id) as row:
                if row is not None:
                    state = TtsState.model_validate(row.tts_state)
                    state.put_back(taken)
                    row.tts_state = state.model_dump()
            raise


# --- pieces -----------------------------------------------------------------------------------------------------
def _parse(body: str | None) -> TtsClientMessage:
    if not body:
        raise RequestError(ErrorCode.REQUEST_INVALID, "empty message: send a JSON object with an `action`")
    try:
        return _TTS_MESSAGE.validate_json(body)
    except ValidationError as error:
        raise to_speech_error(error) from None


def _start(message: TtsStartMessage, connection_id: str, caller: Caller, deps: TtsDeps) -> TtsReadyMessage:
    with deps.tts_store.locked(connection_id) as row:
        if row is None or row.state is ConnectionState.CLOSED:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this connection is not open")
        if row.session_id is not None:
            raise RequestError(ErrorCode.REQUEST_INVALID, "this connection's stream has already started")
        selection = _select(deps, row.tenant_id, message.language, message.gender.value)
        if deps.streams.count_live_streams(caller.key_id) >= MAX_CONCURRENT_STREAMS_PER_KEY:
            raise LimitError(
                ErrorCode.RATE_LIMITED,
                f"this API key already has {MAX_CONCURRENT_STREAMS_PER_KEY} streams open; stop one first",
                retry_after_s=5,
                details={"maxConcurrentStreams": MAX_CONCURRENT_STREAMS_PER_KEY},
            )
        deps.rate_limiter.acquire(caller.key_id, caller.limits)  # a stream counts as one request
        row.session_id = uuid.uuid4()
        row.task = TTS_TASK
        row.source_language = message.language
        row.sample_rate = message.sample_rate
        row.state = ConnectionState.STREAMING
        max_chars = min(selection.limits.max_text_chars or MAX_SENTENCE_CHARS, MAX_SENTENCE_CHARS)
        row.tts_state = TtsState(voice=message.gender.value, max_sentence_chars=max_chars).model_dump()
        logger.info("tts stream started", extra={"session_id": str(row.session_id), "language": message.language})
        return TtsReadyMessage(
            ack=-1, session_id=str(row.session_id), limits=TtsLimits(sample_rate=message.sample_rate)
        )


def _clear(message: ClearMessage, connection_id: str, deps: TtsDeps) -> ClearedMessage:
    with _session(connection_id, deps) as (_, state):
        dropped = state.clear(message.seq)
        return ClearedMessage(ack=state.ack, cleared_through=state.cleared_through, dropped_characters=dropped)


class _session:  # noqa: N801 - used as a context manager, reads like one
    """The started, not yet ended stream under the row lock, its TTS state written back at the end. After
    `stop`, only a `text` up to its lastSeq (`text_seq`) still finds it (one that `stop` overtook)."""

    def __init__(self, connection_id: str, deps: TtsDeps, *, text_seq: int | None = None) -> None:
        self._locked = deps.tts_store.locked(connection_id)
        self._text_seq = text_seq
        self._row: TtsStreamRow | None = None
        self._state: TtsState | None = None

    def __enter__(self) -> tuple[TtsStreamRow, TtsState]:
        row = self._locked.__enter__()
        try:
            if row is None or row.state is ConnectionState.CLOSED:
                raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this connection is not open")
            if row.session_id is None:
                raise RequestError(ErrorCode.STREAM_NOT_STARTED, "send `start` before text")
            if row.task != TTS_TASK:
                raise RequestError(ErrorCode.REQUEST_INVALID, "this connection streams speech recognition, not TTS")
            state = TtsState.model_validate(row.tts_state)
            overtaken = self._text_seq is not None and state.accepts_text(self._text_seq)
            if row.usage_recorded_at is not None or (state.stop_requested and not overtaken):
                raise RequestError(ErrorCode.STREAM_NOT_STARTED, "this stream has ended (`stop` was sent)")
        except BaseException as error:
            self._locked.__exit__(type(error), error, error.__traceback__)
            raise
        self._row, self._state = row, state
        return row, state

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> bool | None:
        if error is None and self._row is not None and self._state is not None:
            self._row.tts_state = self._state.model_dump()
        return self._locked.__exit__(kind, error, traceback)  # type: ignore[arg-type]


def _ended(row: TtsStreamRow) -> bool:
    return row.state is ConnectionState.CLOSED or row.usage_recorded_at is not None


def _select(deps: TtsDeps, tenant_id: uuid.UUID, language: str, voice: str) -> ModelSelection:
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    return deps.registry.select(Task.TTS, key=str(tenant_id), language=language, voice=voice)


def _synthesize(
    sentence: QueuedSentence, language: str, voice: str, rate: int, tenant_id: uuid.UUID, deps: TtsDeps
) -> np.ndarray:
    """One sentence's speech, mono float32 at the stream's sample rate."""
    from speech_core.audio import DecodedAudio, resample  # cold start: soxr loads with the first sentence

    selection = _select(deps, tenant_id, language, voice)
    speech = deps.inference.synthesize(selection, sentence.text, language, voice)
    audio = resample(DecodedAudio.from_signal(speech.audio, speech.sample_rate), rate)
    return audio.samples[:, 0]


def _record_usage(row: TtsStreamRow, state: TtsState, deps: TtsDeps) -> TtsEndMessage:
    """The stream's one request-log row and daily usage under the sync TTS's task (idempotent on the session
    id): characters synthesized and seconds of audio sent; then `end`."""
    seconds = round(state.audio_seconds, 3)
    deps.request_log.record(
        RequestLogEntry(
            request_id=f"stream-{row.session_id}",
            tenant_id=row.tenant_id,
            api_key_id=row.api_key_id,
            task=TTS_TASK,
            source_language=row.source_language,
            characters=state.characters,
            audio_seconds=seconds,
            status=200,
        )
    )
    row.usage_recorded_at = datetime.now(UTC)
    state.queue, state.buffer, state.held_texts = [], "", {}
    logger.info("tts stream ended", extra={"session_id": str(row.session_id), "characters": state.characters})
    return TtsEndMessage(
        ack=state.ack,
        characters=state.characters,
        dropped_characters=state.dropped_characters,
        audio_seconds=seconds,
        billed_seconds=float(math.ceil(seconds)),
    )


def _error_frame(error: SpeechError, seq: int | None, connection_id: str, deps: TtsDeps) -> ErrorFrame:
    """A SpeechError as a WebSocket error frame (the REST API's code and message); the connection stays open."""
    ack = -1
    try:
        with deps.tts_store.locked(connection_id) as row:
            if row is not None and row.tts_state:
                ack = TtsState.model_validate(row.tts_state).ack
    except Exception:  # the frame goes out even when the database is what failed
        logger.exception("no ack for an error frame")
    return ErrorFrame(ack=ack, code=error.code.value, message=error.message, seq=seq, details=error.details or None)
