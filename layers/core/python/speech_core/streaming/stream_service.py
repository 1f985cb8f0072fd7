"""One WebSocket event against a connection's stream: $connect, a client message, $disconnect.

Every message runs under its connection's row lock (see `speech_core.db.repositories.streams`), so frames are
applied one at a time in `seq` order whatever order API Gateway delivers them in. Audio goes to Triton's
sequence batcher under the connection's sequence id: each frame sends only its own samples, and the model
keeps the utterance (its cost per frame does not grow with the stream). A refused message is answered with
an error frame and changes nothing; the connection stays open.

An utterance's final is not computed under the lock: the frame that ends it closes the Triton sequence at once
(the model hands back the utterance's audio), commits it as a pending final, and the handler computes and
pushes the final after the frame's answer (`finish_reply`, speech_core.streaming.utterance_finals), so the
next frames' partials never wait for it. Finals carry their utterance's index; `stop` sends every final
before `end`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import TypeAdapter, ValidationError

from speech_core.contracts.parsing import to_speech_error
from speech_core.contracts.streaming import (
    MAX_AUDIO_IDLE_S,
    MAX_CONCURRENT_STREAMS_PER_KEY,
    MAX_FRAME_AUDIO_BYTES,
    MAX_FRAME_AUDIO_CHARS,
    MAX_FRAMES_PER_SECOND,
    MAX_GAP_WAIT_S,
    MAX_PENDING_FRAMES,
    MAX_STREAM_SECONDS,
    MAX_UTTERANCE_S,
    RESUME_WINDOW_S,
    STREAM_SAMPLE_RATE,
    AckMessage,
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
    ResumeMessage,
    ServerMessage,
    StartMessage,
    StopMessage,
    StreamLimits,
)
from speech_core.db.records import ConnectionState, FinalStatus, PendingFrame, RequestLogEntry, StreamState
from speech_core.errors import AudioError, ErrorCode, InternalError, LimitError, RequestError, SpeechError
from speech_core.keys.caller import Caller
from speech_core.keys.scopes import Scope
from speech_core.observability import logger, tracer
from speech_core.streaming import latency
from speech_core.streaming.frame_order import Outcome, Step, admit, admit_control, control_key, release, stable_prefix
from speech_core.streaming.ports import StreamDeps
from speech_core.streaming.silence import SilenceRun, after_chunk
from speech_core.streaming.stream_timers import DETACHED_DELAY_S, GAP_DELAY_S, StreamTimer
from speech_core.streaming.utterance_finals import (
    compute_final,
    deliver_finals,
    final_messages,
    keep_pending,
    push_ready_finals,
    sweep_finals,
)

if TYPE_CHECKING:  # types only: numpy and tritonclient load with the first audio frame
    import numpy as np

    from speech_core.inference import ModelSelection, StreamingSession

#: the task name of a stream in the request log and daily usage (its scope, like every REST call)
STREAM_TASK = Scope.STREAMING.value
_CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
#: when a frame is received (tests replace it)
clock = time.time


@dataclass
class StreamReply:
    """A message's answers, to send now, and what to do once they are sent: the session whose finals to
    deliver, and the finals this message left pending (computed then, off the connection's lock)."""

    answers: list[ServerMessage]
    tenant_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    pending_finals: list[int] = field(default_factory=list)
    deliver: bool = False


# --- the three kinds of event -------------------------------------------------------------------------------
def connect(caller: Caller, connection_id: str, deps: StreamDeps) -> None:
    """$connect: the key needs the `streaming` scope (AuthError: the upgrade is refused); the row is made."""
    caller.require_scope(Scope.STREAMING)
    deps.store.open(connection_id, caller.tenant_id, caller.key_id)


def handle_message(
    connection_id: str, caller: Caller, body: str | None, deps: StreamDeps, received_at: float | None = None
) -> StreamReply:
    """A client message -> the messages to send back (an error frame for anything refused), and the finals
    to compute and deliver once they are sent (`finish_reply`).

    `received_at` (epoch seconds) is when API Gateway received the message: a partial's latency runs from it.
    """
    seq: int | None = None
    try:
        message = parse_message(body)
        seq = message.seq if isinstance(message, AudioMessage) else None
        return _apply(message, connection_id, caller, deps, received_at or clock())
    except SpeechError as error:
        return StreamReply([_error_frame(error, seq, connection_id, deps)])
    except Exception:
        logger.exception("stream message failed", extra={"connection_id": connection_id, "seq": seq})
        return StreamReply([_error_frame(InternalError(), seq, connection_id, deps)])


def finish_reply(reply: StreamReply, deps: StreamDeps) -> None:
    """After the reply's answers were sent: compute the finals it left pending and push every final of the
    session not delivered yet (each once, in utterance order). Every message of a session runs the pass, so a
    final whose invocation died is computed by the next one once its claim expires, not left for `stop`."""
    if reply.session_id is None or reply.tenant_id is None:
        return
    try:
        for utterance in reply.pending_finals:
            compute_final(reply.tenant_id, reply.session_id, utterance, deps)
        push_ready_finals(reply.session_id, deps)
    except Exception:  # the finals stay in their rows: `stop` (or a resume) delivers them
        logger.exception("finals not delivered", extra={"session_id": str(reply.session_id)})


def disconnect(connection_id: str, deps: StreamDeps) -> None:
    """$disconnect (the client left, or was cut off): record this connection's audio once; a stream that was
    not stopped is detached (resumable for RESUME_WINDOW_S, its Triton sequence kept), any other is closed.
    Then the finals of sessions nobody can resume or stop any more are swept (utterance_finals.sweep_finals)."""
    _leave(connection_id, deps)
    sweep_finals(deps)


def _leave(connection_id: str, deps: StreamDeps) -> None:
    with deps.store.locked(connection_id) as state:
        if state is None or state.state in (ConnectionState.CLOSED, ConnectionState.DETACHED):
            return  # closed by `stop`'s disconnect already, or taken over by a resumed connection
        if state.session_id is not None and state.usage_recorded_at is None:
            # resumable: the utterance stays in Triton's sequence batcher until the `detached` timer closes the
            # stream (speech_core.streaming.timer_service), when nobody resumed it within the window
            _record_usage(state, deps)
            state.pending_frames = {}
            state.state = ConnectionState.DETACHED
            _set_timer(StreamTimer(kind="detached", connection_id=connection_id), DETACHED_DELAY_S, deps)
            return
        end_sequence(state, deps)
        if state.session_id is not None and state.usage_recorded_at is None:
            _record_usage(state, deps)
        state.pending_frames = {}
        state.state = ConnectionState.CLOSED


def end_sequence(state: StreamState, deps: StreamDeps) -> None:
    """Nobody is left to send a final to: the open utterance's Triton sequence ends without one."""
    if not state.utterance_open:
        return
    try:
        _recognition(state, deps).end_utterance()
    except SpeechError as error:  # the model may have evicted the sequence already
        logger.info("could not end the sequence", extra={"code": error.code.value})
    state.utterance_open = False


def _set_timer(timer: StreamTimer, delay_s: float, deps: StreamDeps) -> None:
    """A stream timer (speech_core.streaming.stream_timers). One that cannot be set is logged: what it was for
    still happens later (a gap is reported at the next message; Triton ends an idle sequence after 60 s)."""
    try:
        deps.timers.schedule(timer, delay_s)
    except Exception:
        logger.exception("stream timer not set", extra={"kind": timer.kind, "connection_id": timer.connection_id})


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
def _apply(
    message: ClientMessage, connection_id: str, caller: Caller, deps: StreamDeps, received_at: float
) -> StreamReply:
    with deps.store.locked(connection_id) as state:
        if state is None or state.state in (ConnectionState.CLOSED, ConnectionState.DETACHED):
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "this connection is not open")
        if isinstance(message, StartMessage):
            return StreamReply([_start(message, state, caller, deps)])
        if isinstance(message, ResumeMessage):  # then the finals the dropped connection did not get
            ready = _resume(message, state, caller, deps)
            return StreamReply([ready], state.tenant_id, state.session_id, deliver=True)
        # an utterance idle past MAX_AUDIO_IDLE_S ends first (its final), before the model's own idle drops it
        answers = _end_idle_utterance(state, deps)
        before = state.model_copy(deep=True)
        try:
            answers += _answer(message, state, deps, received_at)
        except SpeechError as error:
            if not answers and not state.new_finals:
                raise  # nothing to keep: the transaction rolls back
            for name in type(state).model_fields:  # keep the idle final, undo only what the message changed
                setattr(state, name, getattr(before, name))
            answers.append(_error_frame_of(error, message, state))
        _time_new_gap(before, state, deps)
        pending = [final.utterance for final in state.new_finals]
        return StreamReply(answers, state.tenant_id, state.session_id, pending_finals=pending)


def _answer(message: ClientMessage, state: StreamState, deps: StreamDeps, received_at: float) -> list[ServerMessage]:
    if isinstance(message, KeepaliveMessage):
        return [KeepaliveAnswer(ack=state.ack)]
    _require_stream(state)
    if isinstance(message, AudioMessage):
        return _audio(message, state, deps, received_at)
    assert isinstance(message, FinalizeMessage | StopMessage)
    return _control(message, state, deps)


def _control(message: FinalizeMessage | StopMessage, state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """`finalize` or `stop`: carried out now, or, when its `lastSeq` frame is not applied yet, held with the
    frames ahead of the gap (same bounds, same `stream.gap`) and carried out right after that frame."""
    now = clock()
    control = PendingFrame(received_at=now, control=message.action, after_seq=message.last_seq)
    admission = admit_control(state.next_seq, state.pending_frames, control, MAX_PENDING_FRAMES)
    if admission.outcome is Outcome.APPLY:
        return _carry_out(message.action, state, deps)
    if admission.outcome is Outcome.DUPLICATE:
        return []
    _refuse_gap(admission.outcome, state, now)
    state.pending_frames = admission.pending
    return []


def _carry_out(action: Literal["finalize", "stop"], state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    if action == "finalize":  # an ack now (the connection's next message may go), the final after
        return [AckMessage(ack=state.ack), *_end_utterance(state, deps)]
    return _stop(state, deps)


def _held_control(control: PendingFrame, state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """A held `finalize`/`stop`, carried out by the frame that applied its `lastSeq`. That frame stays applied
    (Triton has its audio) whatever happens here: a failure (stop's bounded wait for an earlier final) is an
    error frame, and the client sends the control again."""
    assert control.control is not None
    try:
        return _carry_out(control.control, state, deps)
    except SpeechError as error:
        return [ErrorFrame(ack=state.ack, code=error.code.value, message=error.message, details=error.details or None)]


def _stop(state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """Every earlier final first (pushed now, waited for while being computed: bounded, then model.timeout
    and nothing changed), then those this invocation ended, then the last utterance's final computed here,
    then `end`."""
    assert state.session_id is not None
    deliver_finals(state.tenant_id, state.session_id, deps, connection_id=state.connection_id)
    return [*_finals_ended_here(state, deps), *_last_final(state, deps), _record_usage(state, deps)]


def _finals_ended_here(state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """Finals of utterances this same invocation ended before `stop` (the idle limit, or an endpoint of the
    frames that released a held stop): not committed yet, `deliver_finals` cannot see them, and computed after
    the answers they would follow `end`. So they are computed here and stored delivered."""
    import numpy as np  # cold start: with the first audio frame

    answers: list[ServerMessage] = []
    for record in state.new_finals:
        audio = np.frombuffer(record.audio or b"", dtype="<i2").astype(np.float32) / 32768.0
        span, source = (record.start_s, record.end_s), record.language
        messages = final_messages(
            state.tenant_id, record.utterance, audio, span, record.ack, source, record.translate_to, deps
        )
        record.messages = [message.model_dump_json(by_alias=True, exclude_none=True) for message in messages]
        record.status, record.audio = FinalStatus.DELIVERED, None
        answers += messages
    return answers


def _last_final(state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """The current utterance's final, computed in this invocation (`stop`: nothing follows it)."""
    utterance, start, end, ack = state.utterance_index, state.utterance_start_s, state.audio_seconds, state.ack
    try:
        audio = _recognition(state, deps).end_utterance().audio if state.utterance_open else None
    except SpeechError as error:
        _reset_utterance(state)
        return [_utterance_error(error, utterance, state)]
    _reset_utterance(state)
    if audio is None:
        return [_empty_final(utterance, start, end, ack)]
    span = (round(start, 3), round(end, 3))
    source = state.source_language or ""
    return list(final_messages(state.tenant_id, utterance, audio, span, ack, source, state.translate_to, deps))


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
    if message.translate_to is not None:  # an unsupported pair is refused now, not at the first final
        _select_translation(deps, state.tenant_id, message.language, message.translate_to)
    deps.rate_limiter.acquire(caller.key_id, caller.limits)  # a stream counts as one request
    token = secrets.token_urlsafe(32)
    state.session_id = uuid.uuid4()
    state.resume_token_hash = hashlib.sha256(token.encode()).hexdigest()
    state.task = message.task
    state.source_language = message.language
    state.sample_rate = message.sample_rate
    state.endpointing_ms = message.endpointing
    state.translate_to = message.translate_to
    state.interim_results = message.interim_results
    state.state = ConnectionState.STREAMING
    logger.info("stream started", extra={"session_id": str(state.session_id), "language": message.language})
    return ReadyMessage(ack=state.ack, session_id=str(state.session_id), resume_token=token, limits=_limits(selection))


def _limits(selection: ModelSelection) -> StreamLimits:
    model_limit = selection.limits.max_audio_seconds
    utterance = MAX_UTTERANCE_S if model_limit is None else min(MAX_UTTERANCE_S, model_limit)
    return StreamLimits(max_stream_seconds=MAX_STREAM_SECONDS, max_utterance_seconds=utterance)


def _resume(message: ResumeMessage, state: StreamState, caller: Caller, deps: StreamDeps) -> ReadyMessage:
    """Take over a session whose connection dropped: its Triton sequence, ack and utterance continue here.

    The session's row is locked while its state moves to this connection (the old connection is closed, its
    audio recorded once); the client resends the frames after `ack`.
    """
    if state.session_id is not None:
        raise RequestError(ErrorCode.REQUEST_INVALID, "this connection's stream has already started")
    refused = RequestError(
        ErrorCode.STREAM_RESUME_REFUSED,
        "no resumable stream has this session id and token: it is unknown, stopped, of another tenant, or "
        f"its connection dropped more than {RESUME_WINDOW_S:g} s ago; start a new stream",
        details={"resumeWindowSeconds": RESUME_WINDOW_S},
    )
    try:
        session_id = uuid.UUID(message.session_id)
    except ValueError:
        raise refused from None
    token_hash = hashlib.sha256(message.resume_token.encode()).hexdigest()
    with deps.store.locked_session(session_id) as old:
        if (
            old is None
            or old.connection_id == state.connection_id
            or old.tenant_id != caller.tenant_id
            or not hmac.compare_digest(old.resume_token_hash or "", token_hash)
            or old.usage_recorded_at is not None
            and old.state is not ConnectionState.DETACHED
        ):
            raise refused
        last_heard = old.disconnected_at or old.last_seen_at
        if last_heard is not None and (datetime.now(UTC) - last_heard).total_seconds() > RESUME_WINDOW_S:
            raise refused
        if message.last_ack is not None and message.last_ack > old.ack:
            raise RequestError(
                ErrorCode.REQUEST_INVALID,
                f"`lastAck` {message.last_ack} is ahead of the stream's ack {old.ack}",
                details={"ack": old.ack},
            )
        if old.usage_recorded_at is None:  # the old connection never saw its $disconnect (yet)
            _record_usage(old, deps)
        _move_session(old, state)
        old.state = ConnectionState.CLOSED
        old.pending_frames = {}
    selection = _select(deps, state.tenant_id, state.source_language)
    logger.info("stream resumed", extra={"session_id": str(state.session_id), "from": state.resumed_from})
    return ReadyMessage(
        ack=state.ack,
        session_id=str(state.session_id),
        resume_token=message.resume_token,
        limits=_limits(selection),
        resumed=True,
    )


def _move_session(old: StreamState, new: StreamState) -> None:
    """The session's state, from the connection that dropped to the one that resumes it."""
    for name in (
        "session_id",
        "resume_token_hash",
        "task",
        "source_language",
        "sample_rate",
        "audio_seconds",
        "next_seq",
        "utterance_open",
        "utterance_start_s",
        "last_partial",
        "endpointing_ms",
        "trailing_silence_s",
        "utterance_has_speech",
        "translate_to",
        "interim_results",
        "partial_latency_ms",
        "last_audio_at",
        "utterance_index",
    ):
        setattr(new, name, getattr(old, name))
    new.stream_sequence_id = old.triton_sequence_id
    new.recorded_audio_seconds = old.audio_seconds  # the old connections' share is recorded
    new.resumed_from = old.connection_id
    new.state = ConnectionState.STREAMING


def _audio(message: AudioMessage, state: StreamState, deps: StreamDeps, received_at: float) -> list[ServerMessage]:
    if len(message.audio) > MAX_FRAME_AUDIO_CHARS:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LARGE,
            f"an audio frame carries at most {MAX_FRAME_AUDIO_BYTES} bytes of audio",
            details={"maxBytes": MAX_FRAME_AUDIO_BYTES},
        )
    _pcm(message.audio)  # a bad frame is refused now, never held ahead of a gap
    now = clock()
    _count_frame(state, now)
    frame = PendingFrame(audio=message.audio, received_at=now)
    admission = admit(state.next_seq, state.pending_frames, message.seq, frame, MAX_PENDING_FRAMES)
    if admission.outcome is Outcome.DUPLICATE:
        return []
    _refuse_gap(admission.outcome, state, now)
    if admission.outcome is Outcome.HOLD:
        state.pending_frames = admission.pending
        return []
    steps, state.pending_frames = release(state.next_seq, admission.ready, admission.pending)
    chunks = [_samples([f.audio for f in step.frames]) for step in steps]
    if state.audio_seconds + sum(chunk.size for chunk in chunks) / STREAM_SAMPLE_RATE > MAX_STREAM_SECONDS:
        raise AudioError(
            ErrorCode.AUDIO_TOO_LONG,
            f"a stream carries at most {MAX_STREAM_SECONDS:g} s of audio; send `stop` and start a new one",
            details={"maxSeconds": MAX_STREAM_SECONDS},
        )
    answers: list[ServerMessage] = []
    for index, (step, chunk) in enumerate(zip(steps, chunks, strict=True)):
        try:
            if step.frames:
                answers += _apply_frames(chunk, len(step.frames), state, deps, received_at)
        except SpeechError as error:
            if index == 0:
                raise  # nothing applied: the frame is refused as a whole (rolled back), as before any control
            return [*answers, _hold_again(steps[index:], state, error)]
        if step.control is not None:
            answers += _held_control(step.control, state, deps)
        if state.usage_recorded_at is not None:
            break  # a held `stop` ended the stream: frames after its `lastSeq` are not applied
    return answers


def _hold_again(steps: list[Step[PendingFrame]], state: StreamState, error: SpeechError) -> ErrorFrame:
    """The model refused a step's frames after an earlier step (and its control) was applied: those stay
    applied, and the refused frames and everything after them are held again, except the first. The error
    names that one (`seq`); its resend releases the rest, as a frame the model refused is resent."""
    seq = state.next_seq
    for step in steps:
        for frame in step.frames:
            if seq != state.next_seq:
                state.pending_frames[seq] = frame
            seq += 1
        if step.control is not None:
            state.pending_frames[control_key(state.pending_frames)] = step.control
    return ErrorFrame(
        ack=state.ack, code=error.code.value, message=error.message, seq=state.next_seq, details=error.details or None
    )


def _refuse_gap(outcome: Outcome, state: StreamState, now: float) -> None:
    """`stream.gap` for a frame (or a control) past the held ones' bounds: too many, or held too long."""
    if outcome is Outcome.GAP_TOO_LONG or (outcome is Outcome.HOLD and gap_wait_s(state, now) > MAX_GAP_WAIT_S):
        raise gap_error(state, now)


def gap_wait_s(state: StreamState, now: float) -> float:
    """How long the oldest frame held ahead of the gap has waited (0 without a gap)."""
    return now - min((f.received_at for f in state.pending_frames.values()), default=now)


def gap_error(state: StreamState, now: float) -> RequestError:
    """`stream.gap`: the missing frame, to be resent (with every later one the client has not seen acked)."""
    return RequestError(
        ErrorCode.STREAM_GAP,
        f"frame {state.next_seq} is missing ({len(state.pending_frames)} frames wait behind it for "
        f"{gap_wait_s(state, now):.1f} s); resend from it",
        details={"missingSeq": state.next_seq},
    )


def _time_new_gap(before: StreamState, state: StreamState, deps: StreamDeps) -> None:
    """A message that opened a gap, or moved it (it filled the missing frame but not all): a `gap` timer, so
    the client hears of a gap that outlives MAX_GAP_WAIT_S even if it sends nothing more."""
    missing_before = before.next_seq if before.pending_frames else None
    if state.pending_frames and state.next_seq != missing_before and state.usage_recorded_at is None:
        timer = StreamTimer(kind="gap", connection_id=state.connection_id, missing_seq=state.next_seq)
        _set_timer(timer, GAP_DELAY_S, deps)


def _apply_frames(
    samples: np.ndarray, count: int, state: StreamState, deps: StreamDeps, received_at: float
) -> list[ServerMessage]:
    """`count` frames, in order, to the model in one request: their partial (or ack), and the utterance's end
    when they complete an endpoint or the longest utterance."""
    update = _recognition(state, deps).send(samples)
    state.utterance_open = True
    state.audio_seconds += samples.size / STREAM_SAMPLE_RATE
    state.next_seq += count
    state.last_audio_at = clock()
    answer: ServerMessage = AckMessage(ack=state.ack)
    if state.interim_results:
        answer = PartialMessage(
            ack=state.ack,
            utterance=state.utterance_index,
            text=update.text,
            stable=stable_prefix(state.last_partial, update.text),
            start=round(state.utterance_start_s, 3),
            end=round(state.audio_seconds, 3),
        )
        state.partial_latency_ms = latency.add(state.partial_latency_ms, (clock() - received_at) * 1000)
    state.last_partial = update.text
    run = after_chunk(SilenceRun(state.trailing_silence_s, state.utterance_has_speech), samples, STREAM_SAMPLE_RATE)
    state.trailing_silence_s, state.utterance_has_speech = run.trailing_s, run.has_speech
    endpoint = state.endpointing_ms is not None and run.has_speech and run.trailing_s * 1000 >= state.endpointing_ms
    if endpoint or state.audio_seconds - state.utterance_start_s >= MAX_UTTERANCE_S - 1e-6:
        return [answer, *_end_utterance(state, deps)]  # an endpoint, or the longest utterance
    return [answer]


def _end_utterance(state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """End the current utterance now: the Triton sequence closes without its second pass and the audio it
    hands back is kept as a pending final (computed after this message's answer). The frame stays applied
    when the model fails (it has the audio): an error frame says the utterance's final is lost, and the next
    audio starts a new one. No audio since the last final: an empty final at once."""
    utterance, start, end, ack = state.utterance_index, state.utterance_start_s, state.audio_seconds, state.ack
    if not state.utterance_open:
        _reset_utterance(state)
        return [_empty_final(utterance, start, end, ack)]
    try:
        update = _recognition(state, deps).end_utterance()
    except SpeechError as error:
        logger.warning("utterance end failed", extra={"code": error.code.value, "session_id": str(state.session_id)})
        _reset_utterance(state)
        return [_utterance_error(error, utterance, state)]
    keep_pending(state, update.audio if update.audio is not None else _no_audio())
    _reset_utterance(state)
    return []


def _empty_final(utterance: int, start: float, end: float, ack: int) -> FinalMessage:
    return FinalMessage(ack=ack, utterance=utterance, text="", words=[], start=round(start, 3), end=round(end, 3))


def _utterance_error(error: SpeechError, utterance: int, state: StreamState) -> ErrorFrame:
    return ErrorFrame(
        ack=state.ack,
        code=error.code.value,
        message=f"the utterance's final failed ({error.message}); the stream goes on with a new utterance",
        utterance=utterance,
        details=error.details or None,
    )


def _no_audio() -> np.ndarray:
    import numpy as np  # cold start: with the first audio frame

    return np.zeros(0, dtype=np.float32)


def _count_frame(state: StreamState, now: float) -> None:
    """At most MAX_FRAMES_PER_SECOND audio frames per connection in each wall-clock second."""
    window = float(math.floor(now))
    if state.rate_window_start != window:
        state.rate_window_start, state.rate_window_frames = window, 0
    if state.rate_window_frames >= MAX_FRAMES_PER_SECOND:
        raise LimitError(
            ErrorCode.RATE_LIMITED,
            f"at most {MAX_FRAMES_PER_SECOND} audio frames a second; send this frame again",
            retry_after_s=1,
            details={"maxFramesPerSecond": MAX_FRAMES_PER_SECOND},
        )
    state.rate_window_frames += 1


def _end_idle_utterance(state: StreamState, deps: StreamDeps) -> list[ServerMessage]:
    """An utterance that got no audio for MAX_AUDIO_IDLE_S ends now (its final), while the model still has it."""
    if (
        not state.utterance_open
        or state.last_audio_at is None
        or state.usage_recorded_at is not None
        or clock() - state.last_audio_at <= MAX_AUDIO_IDLE_S
    ):
        return []
    utterance = state.utterance_index
    try:
        update = _recognition(state, deps).end_utterance()
    except SpeechError as error:  # the model dropped it already (idle past its 60 s): the utterance is lost
        logger.warning("idle utterance lost", extra={"code": error.code.value, "session_id": str(state.session_id)})
        _reset_utterance(state)
        return [
            ErrorFrame(
                ack=state.ack,
                code=error.code.value,
                message=f"the utterance got no audio for over {MAX_AUDIO_IDLE_S:g} s and the model dropped it",
                utterance=utterance,
                details={"maxAudioIdleSeconds": MAX_AUDIO_IDLE_S},
            )
        ]
    keep_pending(state, update.audio if update.audio is not None else _no_audio())
    _reset_utterance(state)
    return []


def _reset_utterance(state: StreamState) -> None:
    """The next audio starts the session's next utterance."""
    state.utterance_index += 1
    state.utterance_open = False
    state.utterance_start_s = state.audio_seconds
    state.last_partial = ""
    state.trailing_silence_s = 0.0
    state.utterance_has_speech = False


def _record_usage(state: StreamState, deps: StreamDeps) -> EndMessage:
    """This connection's request-log row and daily usage: the session's audio it applied itself (idempotent on
    the session id, and the connection id for a resumed one), then `end` with the session's totals."""
    billed = float(math.ceil(round(state.audio_seconds, 3)))
    own_seconds = max(0.0, state.audio_seconds - state.recorded_audio_seconds)
    request_id = f"stream-{state.session_id}"
    if state.resumed_from is not None:
        request_id += f"-{state.connection_id}"
    deps.request_log.record(
        RequestLogEntry(
            request_id=request_id,
            tenant_id=state.tenant_id,
            api_key_id=state.api_key_id,
            task=STREAM_TASK,
            source_language=state.source_language,
            input_bytes=round(own_seconds * STREAM_SAMPLE_RATE) * 2,
            audio_seconds=round(own_seconds, 3),
            status=200,
        )
    )
    state.usage_recorded_at = datetime.now(UTC)
    state.pending_frames = {}
    logger.info("stream ended", extra={"session_id": str(state.session_id), "audio_seconds": state.audio_seconds})
    return EndMessage(
        ack=state.ack,
        audio_seconds=round(state.audio_seconds, 3),
        billed_seconds=billed,
        partial_latency_p50_ms=latency.percentile(state.partial_latency_ms, 0.50),
        partial_latency_p95_ms=latency.percentile(state.partial_latency_ms, 0.95),
    )


# --- pieces ---------------------------------------------------------------------------------------------------
def _require_stream(state: StreamState) -> None:
    if state.session_id is None:
        raise RequestError(ErrorCode.STREAM_NOT_STARTED, "send `start` before audio")
    if state.usage_recorded_at is not None:
        raise RequestError(ErrorCode.STREAM_NOT_STARTED, "this stream has ended (`stop` was sent)")


def _select(deps: StreamDeps, tenant_id: uuid.UUID, language: str | None) -> ModelSelection:
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    return deps.registry.select(Task.ASR_STREAMING, key=str(tenant_id), language=language)


def _select_translation(deps: StreamDeps, tenant_id: uuid.UUID, source: str, target: str) -> ModelSelection:
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    return deps.registry.select(Task.TRANSLATION, key=str(tenant_id), source=source, target=target)


def _recognition(state: StreamState, deps: StreamDeps) -> StreamingSession:
    """The connection's Triton sequence, picked up where the previous frame left it."""
    language = state.source_language or ""
    session = deps.inference.open_stream(_select(deps, state.tenant_id, language), language, state.triton_sequence_id)
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


def _error_frame_of(error: SpeechError, message: ClientMessage, state: StreamState) -> ErrorFrame:
    """An error frame for a message refused inside the connection's lock (the state at hand gives the ack)."""
    seq = message.seq if isinstance(message, AudioMessage) else None
    return ErrorFrame(
        ack=state.ack, code=error.code.value, message=error.message, seq=seq, details=error.details or None
    )


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
