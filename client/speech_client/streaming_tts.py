"""Streaming synthesis over the WebSocket API: text in, audio chunks out as each sentence is ready, into a file.

`start {task: "tts"}` → `ready`; `text {seq, text, flush}` for each piece of text (`flush` on the last);
`stop` once the first answer is in → the rest of the audio, then `end {characters, audioSeconds,
billedSeconds}`. Audio comes as `audio {seq, audio, textSeq, start, end, final}` chunks of 16-bit PCM at the
asked sample rate (at most 0.5 s each); the client orders them by `seq`, ignores a repeated one, and writes
them as one WAV file.
"""

from __future__ import annotations

import asyncio
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

#: seconds to wait for the first answer to the text before sending `stop` anyway
FIRST_ANSWER_WAIT_S = 5.0
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
    idle_timeout_s: float = 60.0,
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
        sent = await _send_texts(socket, pieces)
        stop_sent = False
        if not sent:
            await socket.send(json.dumps({"action": "stop", "lastSeq": sent - 1}))
            stop_sent = True
        try:
            while True:
                try:
                    # `stop` goes once the first answer is in (or after a pause): the text is queued by then
                    wait = idle_timeout_s if stop_sent else FIRST_ANSWER_WAIT_S
                    text = await asyncio.wait_for(socket.recv(), wait)
                except TimeoutError:
                    if stop_sent:
                        raise StreamError("stream.timeout", f"no answer for {idle_timeout_s:g} s") from None
                    text = None
                if not stop_sent:
                    await socket.send(json.dumps({"action": "stop", "lastSeq": sent - 1}))
                    stop_sent = True
                if text is None:
                    continue
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


async def _send_texts(socket: Any, pieces: Iterable[str] | AsyncIterable[str]) -> int:
    """Sends the pieces numbered from 0, the last one with `flush` (one piece of look-ahead); how many."""
    seq, previous = 0, None
    async for piece in _each(pieces):
        if not piece:
            continue
        if previous is not None:
            await socket.send(json.dumps({"action": "text", "seq": seq, "text": previous, "flush": False}))
            seq += 1
        previous = piece
    if previous is None:
        return 0
    await socket.send(json.dumps({"action": "text", "seq": seq, "text": previous, "flush": True}))
    return seq + 1


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
