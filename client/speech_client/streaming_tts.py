"""Streaming synthesis over the WebSocket API: text in, audio chunks out as each sentence is ready, into a file.

`start {task: "tts"}` → `ready`; `text {seq, text, flush}` for each piece of text; `stop` → the rest of the audio,
then `end {characters, audioSeconds, billedSeconds}`. Audio comes as `audio {seq, audio, textSeq, start, end,
final}` chunks of 16-bit PCM at the asked sample rate (at most 0.5 s each); the client orders them by `seq`,
ignores a repeated one, and writes them as one WAV file.
"""

from __future__ import annotations

import base64
import json
import wave
from collections.abc import AsyncIterable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from .errors import AuthenticationError, ConfigurationError, PermissionDeniedError, StreamError, TransportError
from .models import ApiModel

#: (audio seconds received so far, the chunk just received)
ChunkCallback = Callable[[float, "AudioChunk"], None]


class AudioChunk(ApiModel):
    seq: int
    audio: str
    text_seq: int
    start: float
    end: float
    final: bool

    def pcm(self) -> bytes:
        return base64.b64decode(self.audio)


class SynthesisStreamResult(ApiModel):
    output: str
    sample_rate: int
    chunks: int
    characters: int
    audio_seconds: float
    billed_seconds: float


async def synthesize_stream_to_file(
    websocket_url: str | None,
    api_key: str,
    texts: str | Iterable[str] | AsyncIterable[str],
    language: str,
    output: str | Path,
    *,
    gender: Literal["male", "female"] = "female",
    sample_rate: int = 16_000,
    on_chunk: ChunkCallback | None = None,
    open_timeout_s: float = 10.0,
) -> SynthesisStreamResult:
    """Speaks `texts` (one string, or pieces as they come, e.g. from a language model) into a WAV file."""
    if not websocket_url:
        raise ConfigurationError("no WebSocket URL: pass websocket_url, set SPEECH_WS_URL, or a profile's one")
    try:
        socket = await websockets.connect(
            websocket_url, additional_headers={"x-api-key": api_key}, max_size=None, open_timeout=open_timeout_s
        )
    except InvalidStatus as error:
        status = error.response.status_code
        refused = AuthenticationError if status == 401 else PermissionDeniedError
        raise refused(status, f"http.{status}", f"the WebSocket API refused the connection (HTTP {status})") from error
    except (OSError, TimeoutError, WebSocketException) as error:
        raise TransportError(f"cannot connect to {websocket_url}: {type(error).__name__}: {error}") from error
    chunks: dict[int, bytes] = {}
    seconds = 0.0
    async with socket:
        start = {"action": "start", "task": "tts", "language": language, "gender": gender, "sampleRate": sample_rate}
        await socket.send(json.dumps(start))
        await _expect_ready(socket)
        pieces = [texts] if isinstance(texts, str) else texts
        seq = 0
        async for piece in _each(pieces):
            await socket.send(json.dumps({"action": "text", "seq": seq, "text": piece, "flush": False}))
            seq += 1
        await socket.send(json.dumps({"action": "text", "seq": seq, "text": "", "flush": True}))
        await socket.send(json.dumps({"action": "stop"}))
        try:
            async for text in socket:
                message: dict[str, Any] = json.loads(text)
                kind = message.get("type")
                if kind == "audio":
                    chunk = AudioChunk.model_validate(message)
                    if chunk.seq not in chunks:
                        chunks[chunk.seq] = chunk.pcm()
                        seconds += len(chunks[chunk.seq]) / (2 * sample_rate)
                        if on_chunk:
                            on_chunk(seconds, chunk)
                elif kind == "error":
                    raise StreamError(str(message.get("code")), str(message.get("message")), message.get("seq"))
                elif kind == "end":
                    path = Path(output)
                    _write_wav(path, [chunks[i] for i in sorted(chunks)], sample_rate)
                    return SynthesisStreamResult(
                        output=str(path),
                        sample_rate=sample_rate,
                        chunks=len(chunks),
                        characters=int(message.get("characters", 0)),
                        audio_seconds=float(message.get("audioSeconds", seconds)),
                        billed_seconds=float(message.get("billedSeconds", 0.0)),
                    )
        except ConnectionClosed as error:
            raise StreamError("stream.closed", f"the connection closed before the synthesis ended: {error}") from error
    raise StreamError("stream.closed", "the connection closed before the synthesis ended")


async def _expect_ready(socket: Any) -> None:
    while True:
        message = json.loads(await socket.recv())
        if message.get("type") == "ready":
            return
        if message.get("type") == "error":
            raise StreamError(str(message.get("code")), str(message.get("message")), message.get("seq"))


async def _each(texts: Iterable[str] | AsyncIterable[str]) -> Any:
    if isinstance(texts, AsyncIterable):
        async for text in texts:
            yield text
    else:
        for text in texts:
            yield text


def _write_wav(path: Path, pieces: list[bytes], sample_rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        for piece in pieces:
            out.writeframes(piece)
