"""The WebSocket streaming protocol: JSON text frames, camelCase on the wire (docs/streaming.md).

Client -> server messages carry `action` (API Gateway routes on it): `start`, `audio`, `keepalive`,
`finalize`, `stop`. Server -> client messages carry `type`: `ready`, `partial`, `final`, `keepalive`, `end`,
`error`. Every server message carries `ack`: the highest `seq` of audio applied so far, contiguously (-1 before
any), so a client knows which frames it never has to send again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

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


# --- client -> server -----------------------------------------------------------------------------------
class StartMessage(WireModel):
    """Opens a recognition session on this connection."""

    action: Literal["start"]
    task: Literal["asr"] = "asr"
    language: str = Field(min_length=2, max_length=16)
    sample_rate: Literal[16000] = 16000
    encoding: Literal["pcm_s16le"] = "pcm_s16le"


class AudioMessage(WireModel):
    """One chunk of audio, numbered from 0; frames may arrive out of order or twice."""

    action: Literal["audio"]
    seq: int = Field(ge=0, le=MAX_SEQ)
    audio: str = Field(min_length=1, description="base64 of pcm_s16le samples at the start's sample rate")


class KeepaliveMessage(WireModel):
    action: Literal["keepalive"]


class FinalizeMessage(WireModel):
    """Ends the current utterance now: its final comes back, the stream stays open for more audio."""

    action: Literal["finalize"]


class StopMessage(WireModel):
    """Ends the stream: the last final, then `end`."""

    action: Literal["stop"]


ClientMessage = Annotated[
    StartMessage | AudioMessage | KeepaliveMessage | FinalizeMessage | StopMessage,
    Field(discriminator="action"),
]


# --- server -> client -----------------------------------------------------------------------------------
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


class ReadyMessage(ServerMessage):
    type: Literal["ready"] = "ready"
    session_id: str
    resume_token: str
    limits: StreamLimits


class StreamWord(WireModel):
    word: str
    start: float
    end: float
    confidence: float


class PartialMessage(ServerMessage):
    """The hypothesis so far for the current utterance; `stable` is its prefix that did not change."""

    type: Literal["partial"] = "partial"
    text: str
    stable: str
    start: float
    end: float


class FinalMessage(ServerMessage):
    type: Literal["final"] = "final"
    text: str
    words: list[StreamWord]
    start: float
    end: float


class KeepaliveAnswer(ServerMessage):
    type: Literal["keepalive"] = "keepalive"


class EndMessage(ServerMessage):
    type: Literal["end"] = "end"
    audio_seconds: float
    billed_seconds: float


class ErrorFrame(ServerMessage):
    """A refused frame: the REST API's error code; the connection stays open."""

    type: Literal["error"] = "error"
    code: str
    message: str
    seq: int | None = None
    details: dict[str, Any] | None = None
