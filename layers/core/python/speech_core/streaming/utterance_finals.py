"""An utterance's final, off the live path: computed after its frame was answered, delivered exactly once.

At an endpoint the frame's invocation ends the Triton sequence without its second pass (the model hands back
the utterance's audio), keeps that audio in a `stream_finals` row (`pending`) committed with the frame, answers
the frame, and only then transcribes the audio with the batch `asr` model: the very call the sync ASR makes,
so the final equals it by construction, on another model than `asr_streaming`, so the next utterance's
partials do not queue behind it. The row holds the final's messages (`ready`) until they reach the client
(`delivered`), under its row lock, so each goes out once:

- the invocation that ended the utterance computes it, then pushes the session's computed finals in
  utterance order to the connection that holds the session now (`push_ready_finals`: it never waits on
  another invocation's final; whoever holds an earlier one pushes the later ones after it);
- `stop` waits (bounded) for each final not yet delivered and sends it before `end` (computing it itself
  when its invocation died);
- `resume` sends those whose connection dropped before they arrived.

A pending final is claimed by the invocation that ended its utterance until FINAL_CLAIM_S later, past the stream
function's timeout: if that invocation dies (a Lambda timeout or crash) before computing it, the session's next
pass (a later frame's, a resume's) finds the claim expired and computes it, so it does not wait for `stop`.

What a final keeps is kept no longer than it is needed: the audio goes when the final is computed, the row when
its messages reach the client, and `sweep_finals` deletes the rows of sessions nobody can resume or stop any
more (FINALS_RETENTION_S after their last message or drop), so nothing of a dead session survives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from speech_core.contracts.streaming import (
    RESUME_WINDOW_S,
    ErrorFrame,
    FinalMessage,
    StreamWord,
    TranslationMessage,
)
from speech_core.db.records import ConnectionState, FinalStatus, StreamFinalRecord, StreamState
from speech_core.errors import InternalError, SpeechError
from speech_core.observability import logger, tracer
from speech_core.streaming.ports import StreamDeps

if TYPE_CHECKING:  # types only: numpy loads with the first audio frame
    import numpy as np

FinalAnswer = FinalMessage | TranslationMessage | ErrorFrame

#: the stream function's timeout (infra_cdk.function_catalog, StreamEvent.timeout_s; a unit test holds them equal):
#: no invocation of it runs longer
STREAM_FUNCTION_TIMEOUT_S = 29
#: how long the invocation that ended an utterance holds its final's claim: past its timeout (and a second for the
#: clocks of two Lambda environments), so a final whose claim expired has no live invocation computing it
FINAL_CLAIM_S = STREAM_FUNCTION_TIMEOUT_S + 1
#: a session none of whose connections was heard from (a message, or $disconnect) for this long can no longer be
#: resumed (RESUME_WINDOW_S) and has no invocation still computing a final (FINAL_CLAIM_S); a margin on top.
#: Its finals' rows are then deleted by `sweep_finals`
FINALS_RETENTION_S = RESUME_WINDOW_S + FINAL_CLAIM_S + 30.0
#: when a claim is taken or checked (tests replace it)
clock = datetime.now


@dataclass(frozen=True)
class FinalJob:
    """A final left pending by this invocation, to compute once its frame is answered."""

    tenant_id: uuid.UUID
    session_id: uuid.UUID
    utterance: int


def keep_pending(state: StreamState, audio: np.ndarray) -> FinalJob:
    """The ended utterance's audio as a pending final (inserted with the frame's commit)."""
    import numpy as np  # cold start: with the first audio frame

    assert state.session_id is not None
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2").tobytes()
    state.new_finals.append(
        StreamFinalRecord(
            session_id=state.session_id,
            utterance=state.utterance_index,
            status=FinalStatus.PENDING,
            start_s=round(state.utterance_start_s, 3),
            end_s=round(state.audio_seconds, 3),
            ack=state.ack,
            language=state.source_language or "",
            translate_to=state.translate_to,
            audio=pcm,
            claimed_until=clock(UTC) + timedelta(seconds=FINAL_CLAIM_S),
        )
    )
    return FinalJob(state.tenant_id, state.session_id, state.utterance_index)


@tracer.capture_method(capture_response=False)
def final_messages(
    tenant_id: uuid.UUID,
    utterance: int,
    audio: np.ndarray,
    span: tuple[float, float],
    ack: int,
    language: str,
    translate_to: str | None,
    deps: StreamDeps,
) -> list[FinalAnswer]:
    """The utterance's final by the sync ASR's call (the `asr` model on its audio), and with `translateTo` its
    translation (an error frame instead when that fails: the final stands); an error frame when the ASR fails."""
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    start, end = span
    text, words = "", []
    try:
        if audio.size:
            selection = deps.registry.select(Task.ASR, key=str(tenant_id), language=language)
            transcript = deps.inference.transcribe(selection, audio, language)
            text = " ".join(w.word for w in transcript.segments) or transcript.text
            words = [
                StreamWord(
                    word=w.word,
                    start=round(w.start + start, 3),
                    end=round(w.end + start, 3),
                    confidence=round(w.confidence, 4),
                )
                for w in transcript.segments
            ]
    except SpeechError as error:
        logger.warning("utterance final failed", extra={"code": error.code.value, "utterance": utterance})
        return [_final_error(error, ack, utterance)]
    final = FinalMessage(ack=ack, utterance=utterance, text=text, words=words, start=start, end=end)
    if translate_to is None or not text:
        return [final]
    return [final, _translation(final, tenant_id, language, translate_to, deps)]


def _final_error(error: SpeechError, ack: int, utterance: int) -> ErrorFrame:
    return ErrorFrame(
        ack=ack,
        code=error.code.value,
        message=f"utterance {utterance}'s final failed ({error.message}); the stream goes on",
        utterance=utterance,
        details=error.details or None,
    )


def _translation(
    final: FinalMessage, tenant_id: uuid.UUID, source: str, target: str, deps: StreamDeps
) -> TranslationMessage | ErrorFrame:
    """The final's text through the translation model (the sync NMT's path: one Triton call)."""
    from speech_core.inference import Task  # cold start: the registry loads with the first start

    try:
        selection = deps.registry.select(Task.TRANSLATION, key=str(tenant_id), source=source, target=target)
        (translation,) = deps.inference.translate(selection, [final.text], source, target)
    except SpeechError as error:
        return ErrorFrame(
            ack=final.ack,
            code=error.code.value,
            message=error.message,
            utterance=final.utterance,
            details=error.details or None,
        )
    return TranslationMessage(
        ack=final.ack,
        utterance=final.utterance,
        text=final.text,
        translation=translation.target,
        source_language=source,
        target_language=target,
        start=final.start,
        end=final.end,
    )


def _compute(record: StreamFinalRecord, tenant_id: uuid.UUID, deps: StreamDeps) -> None:
    """A pending final's messages (any failure becomes an error frame: the final is never left unanswered)."""
    import numpy as np  # cold start: with the first audio frame

    audio = np.frombuffer(record.audio or b"", dtype="<i2").astype(np.float32) / 32768.0
    try:
        answers = final_messages(
            tenant_id,
            record.utterance,
            audio,
            (record.start_s, record.end_s),
            record.ack,
            record.language,
            record.translate_to,
            deps,
        )
    except Exception:
        logger.exception("utterance final failed", extra={"utterance": record.utterance})
        answers = [_final_error(InternalError(), record.ack, record.utterance)]
    record.messages = [_wire(a) for a in answers]
    record.status = FinalStatus.READY
    record.audio = None


def compute_final(tenant_id: uuid.UUID, session_id: uuid.UUID, utterance: int, deps: StreamDeps) -> None:
    """A pending final's messages, computed and committed (`ready`) without waiting for any other final:
    skipped when another invocation holds it (`stop` computing it) or has computed it already."""
    with deps.store.locked_final(session_id, utterance, wait=False) as record:
        if record is not None and record.status is FinalStatus.PENDING:
            _compute(record, tenant_id, deps)


def push_ready_finals(session_id: uuid.UUID, deps: StreamDeps) -> None:
    """Push the session's computed finals, in utterance order, each once, without waiting for anyone.

    The pass stops at the first final it cannot send now: one another invocation holds (that one is computing
    or pushing it, and runs this pass after it, so it goes on from there), one not computed yet whose claim
    holds (its own invocation will compute it), or one whose connection is gone (the resumed connection's pass,
    or `stop`, sends it). So no invocation's environment sits waiting on another's final.

    A pending final whose claim expired lost its invocation: this pass computes it (under its row lock, so once)
    and goes on. One such final per pass, so the invocation's own final and it fit the function's timeout.
    """
    rescued = False
    for utterance in deps.store.undelivered_finals(session_id):
        with deps.store.locked_final(session_id, utterance, wait=False) as record:
            if record is None:
                return
            if record.status is FinalStatus.DELIVERED:
                continue
            holder = deps.store.session_connection(session_id)
            if record.status is FinalStatus.PENDING:
                if rescued or holder is None or not claim_expired(record):
                    return
                logger.warning("computing a final its invocation left", extra={"utterance": record.utterance})
                _compute(record, holder.tenant_id, deps)
                rescued = True
            target = _streaming(holder)
            if target is None or not deps.push.send(target, record.messages):
                return
            record.status = FinalStatus.DELIVERED


def claim_expired(record: StreamFinalRecord) -> bool:
    """True when the invocation that ended the final's utterance can no longer be computing it."""
    return record.claimed_until is None or record.claimed_until <= clock(UTC)


def sweep_finals(deps: StreamDeps) -> None:
    """Delete the finals of sessions nobody can resume or stop any more (none of their connections heard from
    for FINALS_RETENTION_S), whatever state a crash left them in. Best effort: a failed sweep is logged and the
    next one deletes them."""
    try:
        swept = deps.store.sweep_finals(FINALS_RETENTION_S)
    except Exception:
        logger.exception("finals not swept")
        return
    if swept:
        logger.info("finals swept", extra={"rows": swept})


def deliver_finals(tenant_id: uuid.UUID, session_id: uuid.UUID, deps: StreamDeps, *, connection_id: str) -> None:
    """`stop`: push every final not delivered yet to `connection_id`, each once and in utterance order.

    Each final is taken under its row lock, in ascending order (no deadlock): one another invocation is
    computing or pushing is waited for (bounded: model.timeout, nothing lost), a pending one whose invocation
    died is computed here. A final the connection cannot take stays `ready`, and so do the later ones.
    """
    blocked = False
    for utterance in deps.store.undelivered_finals(session_id):
        with deps.store.locked_final(session_id, utterance, wait=True) as record:
            if record is None or record.status is FinalStatus.DELIVERED:
                continue
            if record.status is FinalStatus.PENDING:
                _compute(record, tenant_id, deps)
            if blocked:
                continue  # an earlier final is undelivered: this one waits behind it
            if deps.push.send(connection_id, record.messages):
                record.status = FinalStatus.DELIVERED
            else:
                blocked = True


def _streaming(holder: StreamState | None) -> str | None:
    """The connection streaming the session now: None while it is detached, and after its `end` (`stop`
    recorded its usage): no final goes out after `end`."""
    if holder is None or holder.state is not ConnectionState.STREAMING or holder.usage_recorded_at is not None:
        return None
    return holder.connection_id


def _wire(answer: FinalAnswer) -> str:
    return answer.model_dump_json(by_alias=True, exclude_none=True)
