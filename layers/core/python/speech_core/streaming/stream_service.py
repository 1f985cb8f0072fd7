"""One WebSocket event against a connection's stream: $connect, a client message, $disconnect.

Every message runs under its connection's row lock (see `speech_core.db.repositories.streams`), so frames are
applied one at a time in `seq` order whatever order API Gateway delivers them in. Audio goes to Triton's
sequence batcher under the connection's sequence id: each frame sends only its own samples, and the model
keeps the utterance (its cost per frame does not grow with the stream). A refused message is answered with
an error frame and changes nothing; the connection stays open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from speech_core.contracts.parsing import to_speech_error
from speech_core.contracts.streaming import (
    MAX_CONCURRENT_STREAMS_PER_KEY,
    MAX_FRAME_AUDIO_BYTES,
    MAX_FRAME_AUDIO_CHARS,
    MAX_GAP_WAIT_S,
    MAX_PENDING_FRAMES,
    STREAM_SAMPLE_RATE,
    AudioMessage,
    ClientMessage,
    EndMessage,
    ErrorFrame,
    FinalizeMessage,
    FinalMessage,
    KeepaliveAnswer,
    KeepaliveMessage,
    PartialMessage,
    ReadyMessage,
    ServerMessage,
    StartMessage,
    StopMessage,
    StreamLimits,
    StreamWord,
)
from speech_core.db.records import ConnectionState, PendingFrame, RequestLogEntry, StreamState
from speech_core.errors import AudioError, ErrorCode, InternalError, LimitError, RequestError, SpeechError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import Scope
from speech_core.observability import logger, tracer
from speech_core.streaming.frame_order import Outcome, admit, stable_prefix
from speech_core.streaming.ports import StreamDeps

if TYPE_CHECKING:  # types only: numpy and tritonclient load with the first audio frame
    import numpy as np

    from speech_core.inference import ModelSelection, StreamingSession

#: the task name of a stream in the request log and daily usage (its scope, like every REST call)
STREAM_TASK = Scope.STREAMING.value
_CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
#: when a frame is received (tests replace it)
clock = time.time


# --- the three kinds of event -------------------------------------------------------------------------------
def connect(caller: Caller, connection_id: str, deps: StreamDeps) -> None:
    """$connect: the key needs the `streaming` scope (AuthError: the upgrade is refused); the row is made."""
    caller.require_scope(Scope.STREAMING)
    deps.store.open(connection_id, caller.tenant_id, caller.key_id)


def handle_message(connection_id: str, caller: Caller, body: str | None, deps: StreamDeps) -> list[ServerMessage]:
    """A client message -> the messages to send back (an error frame for anything refused)."""
    seq: int | None = None
    try:
        message = parse_message(body)
        seq = message.seq if isinstance(message, AudioMessage) else None
        return _apply(message, connection_id, caller, deps)
    except SpeechError as error:
        return [_error_frame(error, seq, connection_id, deps)]
    except Exception:
        logger.exception("stream message failed", extra={"connection_id": connection_id, "seq": seq})
        return [_error_frame(InternalError(), seq, connection_id, deps)]


def disconnect(connection_id: str, deps: StreamDeps) -> None:
    """$disconnect (the client left, or was cut off): end the Triton sequence, record usage once, close."""
    with deps.store.locked(connection_id) as state:
        if state is None:
            return
        if state.utterance_open:
            try:
                _finish_utterance(state, deps)
            except SpeechError as error:  # the model may have evicted the sequence already
                logger.info("could not end the sequence", extra={"code": error.code.value})
                state.utterance_open = False
        if state.session_id is not None and state.usage_recorded_at is None:
            _record_usage(state, deps)
        state.pending_frames = {}
        state.state = ConnectionState.CLOSED


def parse_message(body: str | None) -> ClientMessage:
    """The client's JSON text frame as one of the protocol's messages (request.invalid otherwise)."""
    if not body:
        raise RequestError(ErrorCode.REQUEST_INVALID, "empty message: send a JSON object with an `action`")
    try:
        return _CLIENT_MESSAGE.validate_json(body)
    except ValidationError as error:
        raise to_speech_error(error) from None


# --- messages -------------------------------------------------------------------------------------------------
@tracer.capture_method(capture_response=False)
def _apply(message: ClientMessage, connection_id: str, caller: Caller, deps: StreamDeps) -> list[ServerMessage]:
    with deps.store.locked(connection_id) as state:
        if state is None or state.state is ConnectionState.CLOSED:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this connection is not open")
        if isinstance(message, StartMessage):
            return [_start(message, state, caller, deps)]
        if isinstance(message, KeepaliveMessage):
            return [KeepaliveAnswer(ack=state.ack)]
        _require_stream(state)
        if isinstance(message, AudioMessage):
            return _audio(message, state, deps)
        if isinstance(message, FinalizeMessage):
            return [_finish_utterance(state, deps)]
        assert isinstance(message, StopMessage)
        return [_finish_utterance(state, deps), _record_usage(state, deps)]


def _start(message: StartMessage, state: StreamState, caller: Caller, deps: StreamDeps) -> ReadyMessage:
    if state.session_id is not None:
        raise RequestError(ErrorCode.REQUEST_INVALID, "this connection's stream has already started")
    selection = _select(deps, state.tenant_id, message.language)
    if deps.store.count_live_streams(caller.key_id) >= MAX_CONCURRENT_STREAMS_PER_KEY:
        raise LimitError(
            ErrorCode.RATE_LIMITED,
            f"this API key already has {MAX_CONCURRENT_STREAMS_PER_KEY} streams open; stop one first",
            retry_after_s=5,
            details={"maxConcurrentStreams": MAX_CONCURRENT_STREAMS_PER_KEY},
        )
    deps.rate_limiter.acquire(caller.key_id, caller.limits)  # a stream counts as one request
    token = secrets.token_urlsafe(32)
    state.session_id = uuid.uuid4()
    state.resume_token_hash = hashlib.sha256(token.encode()).hexdigest()
    state.task = message.task
    state.source_language = message.language
    state.sample_rate = message.sample_rate
    state.state = ConnectionState.STREAMING
    logger.info("stream started", extra={"session_id": str(state.session_id), "language": message.language})
    return ReadyMessage(
        ack=state.ack,
        session_id=str(state.session_id),
        resume_token=token,
        limits=StreamLimits(max_stream_seconds=selection.limits.max_audio_seconds),
    )


def _audio(message: AudioMessage, state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    if len(message.audio) > MAX_FRAME_AUDIO_CHARS:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"an audio frame carries at most {MAX_FRAME_AUDIO_BYTES} bytes of audio",
            details={"maxBytes": MAX_FRAME_AUDIO_BYTES},
        )
    _pcm(message.audio)  # a bad frame is refused now, never held ahead of a gap
    now = clock()
    frame = PendingFrame(audio=message.audio, received_at=now)
    admission = admit(state.next_seq, state.pending_frames, message.seq, frame, MAX_PENDING_FRAMES)
    if admission.outcome is Outcome.DUPLICATE:
        return []
    waited = now - min((f.received_at for f in state.pending_frames.values()), default=now)
    if admission.outcome is Outcome.GAP_TOO_LONG or (admission.outcome is Outcome.HOLD and waited > MAX_GAP_WAIT_S):
        raise RequestError(
            ErrorCode.STREAM_GAP,
            f"frame {state.next_seq} is missing ({len(state.pending_frames)} frames wait behind it for "
            f"{waited:.1f} s); resend from it",
            details={"missingSeq": state.next_seq},
        )
    state.pending_frames = admission.pending
    if admission.outcome is Outcome.HOLD:
        return []
    samples = _samples([f.audio for f in admission.ready])
    update = _recognition(state, deps).send(samples)
    state.utterance_open = True
    state.audio_seconds += samples.size / STREAM_SAMPLE_RATE
    state.next_seq = admission.next_seq
    stable = stable_prefix(state.last_partial, update.text)
    state.last_partial = update.text
    return [
        PartialMessage(
            ack=state.ack,
            text=update.text,
            stable=stable,
            start=round(state.utterance_start_s, 3),
            end=round(state.audio_seconds, 3),
        )
    ]


def _finish_utterance(state: StreamState, deps: StreamDeps) -> FinalMessage:
    """END on the Triton sequence: the utterance's final (empty when no audio came since the last one)."""
    offset = state.utterance_start_s
    words: list[StreamWord] = []
    text = ""
    if state.utterance_open:
        update = _recognition(state, deps).finish()
        text = update.text
        words = [
            StreamWord(
                word=w.word,
                start=round(w.start + offset, 3),
                end=round(w.end + offset, 3),
                confidence=round(w.confidence, 4),
            )
            for w in update.segments
        ]
    final = FinalMessage(
        ack=state.ack, text=text, words=words, start=round(offset, 3), end=round(state.audio_seconds, 3)
    )
    state.utterance_open = False
    state.utterance_start_s = state.audio_seconds
    state.last_partial = ""
    return final


def _record_usage(state: StreamState, deps: StreamDeps) -> EndMessage:
    """The stream's one request-log row and daily usage (idempotent on the session id), then `end`."""
    billed = float(math.ceil(round(state.audio_seconds, 3)))
    deps.request_log.record(
        RequestLogEntry(
            request_id=f"stream-{state.session_id}",
            tenant_id=state.tenant_id,
            api_key_id=state.api_key_id,
            task=STREAM_TASK,
            source_language=state.source_language,
            input_bytes=round(state.audio_seconds * STREAM_SAMPLE_RATE) * 2,
            audio_seconds=round(state.audio_seconds, 3),
            status=200,
        )
    )
    state.usage_recorded_at = datetime.now(UTC)
    state.pending_frames = {}
    logger.info("stream ended", extra={"session_id": str(state.session_id), "audio_seconds": state.audio_seconds})
    return EndMessage(ack=state.ack, audio_seconds=round(state.audio_seconds, 3), billed_seconds=billed)


# --- pieces ---------------------------------------------------------------------------------------------------
def _require_stream(state: StreamState) -> None:
    if state.session_id is None:
        raise RequestError(ErrorCode.STREAM_NOT_STARTED, "send `start` before audio")
    if state.usage_recorded_at is not None:
        raise RequestError(ErrorCode.STREAM_NOT_STARTED, "this stream has ended (`stop` was sent)")


def _select(deps: StreamDeps, tenant_id: uuid.UUID, language: str | None) -> ModelSelection:
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    return deps.registry.select(Task.ASR_STREAMING, key=str(tenant_id), language=language)


def _recognition(state: StreamState, deps: StreamDeps) -> StreamingSession:
    """The connection's Triton sequence, picked up where the previous frame left it."""
    language = state.source_language or ""
    session = deps.inference.open_stream(_select(deps, state.tenant_id, language), language, state.sequence_id)
    session.started = state.utterance_open
    session.samples_sent = round((state.audio_seconds - state.utterance_start_s) * STREAM_SAMPLE_RATE)
    return session


def _pcm(audio: str) -> bytes:
    try:
        data = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        raise AudioError(ErrorCode.AUDIO_INVALID_BASE64, "the frame's audio is not valid base64") from None
    if not data:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "the frame carries no audio")
    if len(data) % 2:
        raise AudioError(ErrorCode.AUDIO_CORRUPT, "pcm_s16le audio has two bytes per sample; got an odd count")
    return data


def _samples(frames: Sequence[str]) -> np.ndarray:
    import numpy as np  # cold start: with the first audio frame

    pcm = b"".join(_pcm(frame) for frame in frames)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _error_frame(error: SpeechError, seq: int | None, connection_id: str, deps: StreamDeps) -> ErrorFrame:
    """The one place a SpeechError becomes a WebSocket error frame (the REST API's code and message)."""
    state = deps.store.peek(connection_id)
    return ErrorFrame(
        ack=state.ack if state else -1,
        code=error.code.value,
        message=error.message,
        seq=seq,
        details=error.details or None,
    )
