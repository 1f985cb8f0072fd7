"""The WebSocket streaming protocol: JSON text frames, camelCase on the wire (docs/streaming.md).

Client -> server messages carry `action` (API Gateway routes on it): `start` (or `resume`), `audio`,
`keepalive`, `finalize`, `stop`. Server -> client messages carry `type`: `ready`, `partial`, `final`,
`translation`, `keepalive`, `end`, `error`. Every server message carries `ack`: the highest `seq` of audio
applied so far, contiguously (-1 before any), so a client knows which frames it never has to send again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .task_configs import Gender, SampleRate
from .wire_model import WireModel

#: the one encoding and rate the stream accepts for now (16 kHz mono PCM, signed 16-bit little endian)
STREAM_ENCODING = "pcm_s16le"
STREAM_SAMPLE_RATE = 16_000
#: decoded audio bytes in one `audio` frame: 1 s of 16 kHz PCM16 (~43 KB as base64, under the 128 KB message)
MAX_FRAME_AUDIO_BYTES = 32_000
#: characters of one `audio` payload (base64 of MAX_FRAME_AUDIO_BYTES, rounded up)
MAX_FRAME_AUDIO_CHARS = 4 * ((MAX_FRAME_AUDIO_BYTES + 2) // 3)
#: frames ahead of a gap held until the missing one arrives; one more is refused (`stream.gap`)
MAX_PENDING_FRAMES = 32
#: seconds the oldest held frame waits for the missing one; a frame arriving later ahead of the gap gets `stream.gap`
MAX_GAP_WAIT_S = 5.0
#: streams one API key may have open at once (a `start` past it is refused with rate.limited)
MAX_CONCURRENT_STREAMS_PER_KEY = 10
#: a frame's sequence number: a 250 ms frame every 250 ms for the 2 h connection cap stays far below it
MAX_SEQ = 10_000_000
#: API Gateway's own limits, reported in `ready`
IDLE_TIMEOUT_S = 600
MAX_CONNECTION_S = 7_200
#: seconds after its connection's last message (or its drop) a session can be resumed on a new connection;
#: under Triton's 60 s sequence idle, after which the model frees the utterance
RESUME_WINDOW_S = 30.0
#: audio seconds of one session (across resumed connections): API Gateway's connection cap
MAX_STREAM_SECONDS = 7_200.0
#: audio frames one connection may send per second (20 ms frames in real time; 250 ms frames: 12x real time)
MAX_FRAMES_PER_SECOND = 50
#: an utterance with no audio for this long is ended (its final sent) at the next message, before the model's
#: 60 s sequence idle would drop it
MAX_AUDIO_IDLE_S = 30.0
#: audio seconds after which an utterance ends by itself (a `final`), silence or not: the final is the batch ASR
#: of the whole utterance, computed after the frame's answer, and must fit the function's 29 s with `stop`'s
#: wait for it (a 30 s utterance's took over 25 s on the shared 2-core machine)
MAX_UTTERANCE_S = 15.0
#: endpointing bounds (ms of silence that end an utterance)
MIN_ENDPOINTING_MS = 100
MAX_ENDPOINTING_MS = 10_000


# --- client -> server -----------------------------------------------------------------------------------
class StartMessage(WireModel):
    """Opens a recognition session on this connection."""

    action: Literal["start"]
    task: Literal["asr"] = "asr"
    language: str = Field(min_length=2, max_length=16)
    sample_rate: Literal[16000] = 16000
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    endpointing: int | None = Field(
        default=None,
        ge=MIN_ENDPOINTING_MS,
        le=MAX_ENDPOINTING_MS,
        description="ms of silence that end an utterance (a `final`); unset: only `finalize` and `stop` do",
    )
    translate_to: str | None = Field(
        default=None, min_length=2, max_length=16, description="translate each final into this language"
    )
    interim_results: bool = Field(
        default=True, description="false: no `partial` messages; each applied audio frame is answered by an `ack`"
    )


class ResumeMessage(WireModel):
    """Continues a session whose connection dropped, on a new connection (instead of `start`)."""

    action: Literal["resume"]
    session_id: str = Field(min_length=1, max_length=64)
    resume_token: str = Field(min_length=1, max_length=128)
    last_ack: int | None = Field(
        default=None, ge=-1, le=MAX_SEQ, description="the last `ack` the client saw (it resends the frames after)"
    )


class AudioMessage(WireModel):
    """One chunk of audio, numbered from 0; frames may arrive out of order or twice."""

    action: Literal["audio"]
    seq: int = Field(ge=0, le=MAX_SEQ)
    audio: str = Field(min_length=1, description="base64 of pcm_s16le samples at the start's sample rate")


class KeepaliveMessage(WireModel):
    action: Literal["keepalive"]


#: `lastSeq` of `finalize` and `stop`
_LAST_SEQ = (
    "the seq of the last audio frame sent before this message (-1: none): it is carried out once every frame up "
    "to it is applied, held like a frame ahead of a gap until then; unset: at once, after the frames applied so "
    "far. Send it when you do not wait for acks. A streaming TTS `stop`: the seq of the last `text`"
)


class FinalizeMessage(WireModel):
    """Ends the current utterance now: its final comes back, the stream stays open for more audio."""

    action: Literal["finalize"]
    last_seq: int | None = Field(default=None, ge=-1, le=MAX_SEQ, description=_LAST_SEQ)


class StopMessage(WireModel):
    """Ends the stream: the last final, then `end`."""

    action: Literal["stop"]
    last_seq: int | None = Field(default=None, ge=-1, le=MAX_SEQ, description=_LAST_SEQ)


ClientMessage = Annotated[
    StartMessage | ResumeMessage | AudioMessage | KeepaliveMessage | FinalizeMessage | StopMessage,
    Field(discriminator="action"),
]


# --- server -> client -----------------------------------------------------------------------------------
_UTTERANCE = "the session's utterance (0, 1, ...) this message belongs to; a final may follow later partials"


class ServerMessage(WireModel):
    ack: int = Field(ge=-1, description="highest seq applied contiguously; -1 before any")


class StreamLimits(WireModel):
    sample_rate: int = STREAM_SAMPLE_RATE
    encoding: str = STREAM_ENCODING
    max_frame_audio_bytes: int = MAX_FRAME_AUDIO_BYTES
    max_pending_frames: int = MAX_PENDING_FRAMES
    max_gap_wait_seconds: float = MAX_GAP_WAIT_S
    max_stream_seconds: float | None = None
    max_concurrent_streams: int = MAX_CONCURRENT_STREAMS_PER_KEY
    idle_timeout_seconds: int = IDLE_TIMEOUT_S
    max_connection_seconds: int = MAX_CONNECTION_S
    max_utterance_seconds: float | None = None
    resume_window_seconds: float = RESUME_WINDOW_S
    max_frames_per_second: int = MAX_FRAMES_PER_SECOND
    max_audio_idle_seconds: float = MAX_AUDIO_IDLE_S


class ReadyMessage(ServerMessage):
    type: Literal["ready"] = "ready"
    session_id: str
    resume_token: str
    limits: StreamLimits
    resumed: bool = Field(default=False, description="true: a resumed session; resend the frames after `ack`")


class StreamWord(WireModel):
    word: str
    start: float
    end: float
    confidence: float


class PartialMessage(ServerMessage):
    """The hypothesis so far for the current utterance; `stable` is its prefix that did not change."""

    type: Literal["partial"] = "partial"
    utterance: int = Field(default=0, description=_UTTERANCE)
    text: str
    stable: str
    start: float
    end: float


class AckMessage(ServerMessage):
    """Answers applied audio when `interimResults` is false (instead of a `partial`): the acknowledgement only."""

    type: Literal["ack"] = "ack"


class FinalMessage(ServerMessage):
    """An utterance's transcript (the sync ASR of its audio). It may arrive after partials of the next
    utterance: `utterance` says which one it ends, `start`/`end` where it lies in the stream."""

    type: Literal["final"] = "final"
    utterance: int = Field(default=0, description=_UTTERANCE)
    text: str
    words: list[StreamWord]
    start: float
    end: float


class TranslationMessage(ServerMessage):
    """The translation of one `final` (with `translateTo`), sent right after it."""

    type: Literal["translation"] = "translation"
    utterance: int = Field(default=0, description=_UTTERANCE)
    text: str = Field(description="the final's text")
    translation: str
    source_language: str
    target_language: str
    start: float
    end: float


class KeepaliveAnswer(ServerMessage):
    type: Literal["keepalive"] = "keepalive"


class EndMessage(ServerMessage):
    type: Literal["end"] = "end"
    audio_seconds: float
    billed_seconds: float
    partial_latency_p50_ms: float | None = None
    partial_latency_p95_ms: float | None = None


class ErrorFrame(ServerMessage):
    """A refused frame: the REST API's error code; the connection stays open."""

    type: Literal["error"] = "error"
    code: str
    message: str
    seq: int | None = None
    utterance: int | None = Field(default=None, description="the utterance whose final failed, if it is one")
    details: dict[str, Any] | None = None


# --- streaming TTS (docs/streaming-tts.md): text in, audio out on the same WebSocket API ---------------------
#: raw PCM bytes in one `audio` answer: 0.5 s at 16 kHz; ~21.4 KB as base64, under API Gateway's 32 KB frame
MAX_TTS_CHUNK_BYTES = 16_000
#: characters of one `text` message (~2.7 KB of JSON at most for ASCII; Indic scripts take 3 bytes a character)
MAX_TTS_TEXT_CHARS = 2_000
#: characters queued on one connection and not yet synthesized; a `text` past it is refused (`text.too_long`)
MAX_TTS_QUEUED_CHARS = 20_000
#: `text` messages held ahead of a missing one (they may arrive out of order, like audio frames)
MAX_TTS_PENDING_TEXTS = 32


class TtsStartMessage(WireModel):
    """Opens a synthesis session: text in (`text`), audio out (`audio`), in the voice the sync TTS takes."""

    action: Literal["start"]
    task: Literal["tts"]
    language: str = Field(min_length=2, max_length=16)
    gender: Gender = Field(default=Gender.FEMALE, description="the voice, as `config.gender` of POST /v1/tts")
    sample_rate: SampleRate = Field(default=STREAM_SAMPLE_RATE, description="Hz of the pcm_s16le audio sent back")
    encoding: Literal["pcm_s16le"] = "pcm_s16le"


class TextMessage(WireModel):
    """Text to speak, numbered from 0 (`seq`); sentences are synthesized as they complete, `flush` says the rest
    of the text so far is complete too."""

    action: Literal["text"]
    seq: int = Field(ge=0, le=MAX_SEQ)
    text: str = Field(max_length=MAX_TTS_TEXT_CHARS)
    flush: bool = False


class ClearMessage(WireModel):
    """Barge-in: drops the text of `text` messages up to `seq` (default: all applied so far) not yet spoken."""

    action: Literal["clear"]
    seq: int | None = Field(default=None, ge=0, le=MAX_SEQ)


TtsClientMessage = Annotated[
    TtsStartMessage | TextMessage | ClearMessage | KeepaliveMessage | StopMessage,
    Field(discriminator="action"),
]


class TtsLimits(WireModel):
    sample_rate: int
    encoding: str = STREAM_ENCODING
    max_text_chars: int = MAX_TTS_TEXT_CHARS
    max_queued_chars: int = MAX_TTS_QUEUED_CHARS
    max_pending_texts: int = MAX_TTS_PENDING_TEXTS
    max_chunk_audio_bytes: int = MAX_TTS_CHUNK_BYTES
    max_concurrent_streams: int = MAX_CONCURRENT_STREAMS_PER_KEY
    idle_timeout_seconds: int = IDLE_TIMEOUT_S
    max_connection_seconds: int = MAX_CONNECTION_S


class TtsReadyMessage(ServerMessage):
    """`ack` on a TTS stream: the highest `text` seq applied contiguously."""

    type: Literal["ready"] = "ready"
    session_id: str
    limits: TtsLimits


class AudioChunkMessage(ServerMessage):
    """Synthesized speech, numbered from 0; a sentence's audio comes in chunks of at most 0.5 s (16 kHz)."""

    type: Literal["audio"] = "audio"
    seq: int
    audio: str = Field(description="base64 of pcm_s16le mono samples at the start's sample rate")
    text_seq: int = Field(description="the `text` message the sentence came from")
    start: float = Field(description="stream seconds of the first sample")
    end: float
    final: bool = Field(description="the last chunk of its sentence")


class ClearedMessage(ServerMessage):
    type: Literal["cleared"] = "cleared"
    cleared_through: int = Field(description="text seq up to which queued text was dropped")
    dropped_characters: int


class TtsEndMessage(ServerMessage):
    """After `stop`: every queued sentence was spoken; what the stream synthesized and is billed for."""

    type: Literal["end"] = "end"
    characters: int = Field(description="characters synthesized (billed)")
    dropped_characters: int = Field(description="characters cleared before synthesis (not billed)")
    audio_seconds: float
    billed_seconds: float
