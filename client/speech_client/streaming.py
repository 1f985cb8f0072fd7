"""Live recognition over the WebSocket API (docs/streaming.md), resumed transparently after a dropped connection.

`AudioStream` sends numbered 250 ms frames of 16 kHz PCM16 and yields what the server answers: `Partial`,
`Final`, `TranslationEvent` (with `translate_to`) and, last, `End`. It keeps every frame the server has not yet
acknowledged (`ack` on every answer). When the connection drops before `end`, it connects again, sends `resume`
with the session id, the resume token from `ready` and the last `ack` it saw, and resends the frames after the
`ack` the new `ready` reports, so no audio is lost or applied twice. Frames the server refuses for a reason that
passes (`stream.gap`, `model.*`, `rate.limited` on a frame) are resent; any other error frame ends the iteration
with a `StreamError`, except one that stands for an utterance's final or translation (it carries `utterance`:
the final failed, the stream goes on), which is yielded as an `UtteranceError`.

`stop` goes out right after the last frame, with `lastSeq` (that frame's seq): the server carries it out once
every frame up to it is applied, even when API Gateway runs it before them. When the acks stop coming before
then (a frame lost on the way), the unacknowledged frames and `stop` are sent again.

Events come in arrival order. The server computes an utterance's final after answering the frame that ended it,
so a `Final` (and its `TranslationEvent`) may arrive after `Partial`s of the next utterance: each carries
`utterance` (0, 1, ...) and `start`/`end`; finals themselves arrive in utterance order, all of them before `End`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from pathlib import Path
from typing import Any, Literal

import websockets
from pydantic import TypeAdapter
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from .audio_files import FRAME_BYTES, STREAM_SAMPLE_RATE, pcm16_frames
from .errors import AuthenticationError, ConfigurationError, PermissionDeniedError, StreamError, TransportError
from .models import ApiModel

#: tries to connect again after a drop, within the server's resume window
MAX_RESUME_ATTEMPTS = 6
#: tries to resend one frame the model could not take
MAX_FRAME_RETRIES = 3
#: when `ready` does not say (older servers), how many frames a second to send at most
DEFAULT_MAX_FRAMES_PER_SECOND = 20
#: seconds without every frame acknowledged after `stop`, before the unacknowledged frames and `stop` are resent
DRAIN_TIMEOUT_S = 10.0
#: error codes on a frame that a resend can cure
_RESENDABLE = ("stream.gap", "rate.limited")


class StreamEvent(ApiModel):
    type: str
    ack: int = -1


class Ready(StreamEvent):
    type: Literal["ready"] = "ready"
    session_id: str
    resume_token: str
    limits: dict[str, Any] = {}
    resumed: bool = False


class Partial(StreamEvent):
    type: Literal["partial"] = "partial"
    utterance: int = 0
    text: str
    stable: str = ""
    start: float = 0.0
    end: float = 0.0


class Word(ApiModel):
    word: str
    start: float
    end: float
    confidence: float | None = None


class Final(StreamEvent):
    type: Literal["final"] = "final"
    utterance: int = 0
    text: str
    words: list[Word] = []
    start: float = 0.0
    end: float = 0.0


class TranslationEvent(StreamEvent):
    type: Literal["translation"] = "translation"
    utterance: int = 0
    text: str
    translation: str
    source_language: str
    target_language: str
    start: float = 0.0
    end: float = 0.0


class End(StreamEvent):
    type: Literal["end"] = "end"
    audio_seconds: float
    billed_seconds: float
    partial_latency_p50_ms: float | None = None
    partial_latency_p95_ms: float | None = None


class ErrorEvent(StreamEvent):
    type: Literal["error"] = "error"
    code: str
    message: str
    seq: int | None = None
    utterance: int | None = None
    details: dict[str, Any] | None = None


class UtteranceError(ErrorEvent):
    """An utterance's final (or its translation) failed: the error frame takes its place, the stream goes on."""

    utterance: int


_KNOWN: dict[str, type[StreamEvent]] = {
    "ready": Ready,
    "partial": Partial,
    "final": Final,
    "translation": TranslationEvent,
    "end": End,
    "error": ErrorEvent,
}
_ANY = TypeAdapter(dict[str, Any])


def parse_event(text: str | bytes) -> StreamEvent:
    """One server message as its event model (unknown types as a plain `StreamEvent`)."""
    message = _ANY.validate_json(text)
    if message.get("type") == "error" and message.get("utterance") is not None:
        return UtteranceError.model_validate(message)
    return _KNOWN.get(str(message.get("type")), StreamEvent).model_validate(message)


AudioFrames = AsyncIterable[bytes] | Iterable[bytes]


class _FrameRate:
    """At most `per_second` sends in any second (the server refuses faster streams)."""

    def __init__(self, per_second: int) -> None:
        self.per_second = max(1, per_second)
        self._sent: deque[float] = deque()

    async def wait(self) -> None:
        now = time.monotonic()
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        if len(self._sent) >= self.per_second:
            await asyncio.sleep(1.0 - (now - self._sent[0]))
            self._sent.popleft()
        self._sent.append(time.monotonic())


class AudioStream:
    """One stream: iterate it (`async for event in stream`) once. `session_id` and `resumes` say what happened."""

    def __init__(
        self,
        websocket_url: str | None,
        api_key: str,
        audio: AudioFrames | str | Path,
        language: str = "en",
        *,
        translate_to: str | None = None,
        endpointing_ms: int | None = None,
        realtime: bool = False,
        frame_bytes: int = FRAME_BYTES,
        open_timeout_s: float = 10.0,
    ) -> None:
        if not websocket_url:
            raise ConfigurationError("no WebSocket URL: pass websocket_url, set SPEECH_WS_URL, or a profile's one")
        self.url = websocket_url
        self._key = api_key
        self._frames: AudioFrames = (
            pcm16_frames(audio, frame_bytes) if isinstance(audio, str | Path) else audio  # a file, or any source
        )
        self._start: dict[str, Any] = {"action": "start", "language": language, "sampleRate": STREAM_SAMPLE_RATE}
        if translate_to:
            self._start["translateTo"] = translate_to
        if endpointing_ms:
            self._start["endpointing"] = endpointing_ms
        self._realtime = realtime
        self._open_timeout_s = open_timeout_s
        self.session_id: str | None = None
        self.resumes = 0
        self.ready: Ready | None = None
        self._token: str | None = None
        self._ack = -1
        self._unacked: dict[int, str] = {}
        self._retries: dict[int, int] = {}
        self._stop_sent = False
        self._last_seq = -1
        self._stop_retries = 0
        self._ended = False
        self._socket: ClientConnection | None = None
        self._generation = 0
        self._changed = asyncio.Condition()
        self._send_lock = asyncio.Lock()
        self._rate = _FrameRate(DEFAULT_MAX_FRAMES_PER_SECOND)
        self._failure: BaseException | None = None
        self._drained = asyncio.Event()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    # --- connection ---------------------------------------------------------------------------------------------
    async def _open(self, hello: dict[str, Any]) -> tuple[ClientConnection, Ready]:
        try:
            socket = await websockets.connect(
                self.url,
                additional_headers={"x-api-key": self._key},
                max_size=None,
                open_timeout=self._open_timeout_s,
            )
        except InvalidStatus as error:
            status = error.response.status_code
            refused = AuthenticationError if status == 401 else PermissionDeniedError
            message = f"the WebSocket API refused the connection (HTTP {status}): a missing, invalid or revoked key"
            raise refused(status, f"http.{status}", message) from error
        except (OSError, TimeoutError, WebSocketException) as error:
            raise TransportError(f"cannot connect to {self.url}: {type(error).__name__}: {error}") from error
        await socket.send(json.dumps(hello))
        while True:
            event = parse_event(await socket.recv())
            if isinstance(event, Ready):
                return socket, event
            if isinstance(event, ErrorEvent):
                await socket.close()
                raise StreamError(event.code, event.message, event.seq, event.details)

    def _take_ready(self, ready: Ready) -> None:
        self.ready = ready
        self.session_id, self._token = ready.session_id, ready.resume_token
        self._rate = _FrameRate(int(ready.limits.get("maxFramesPerSecond", DEFAULT_MAX_FRAMES_PER_SECOND)) - 2)
        self._acknowledge(ready.ack)

    async def _resume(self) -> None:
        """A new connection for the same session; resends what the server had not applied."""
        window = float((self.ready.limits if self.ready else {}).get("resumeWindowSeconds", 30.0))
        deadline = time.monotonic() + window
        delay, last_error = 0.2, None
        for _ in range(MAX_RESUME_ATTEMPTS):
            hello = {"action": "resume", "sessionId": self.session_id, "resumeToken": self._token, "lastAck": self._ack}
            try:
                socket, ready = await self._open(hello)
            except TransportError as error:
                last_error = error
                if time.monotonic() + delay > deadline:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.resumes += 1
            self._take_ready(ready)
            await self._send_lock.acquire()  # the resend goes first, before any new frame
            async with self._changed:
                self._socket, self._generation = socket, self._generation + 1
                self._changed.notify_all()
            asyncio.get_running_loop().create_task(self._resend_unacked(locked=True))
            return
        raise StreamError("stream.resume_failed", f"could not resume session {self.session_id}: {last_error}")

    # --- sending ------------------------------------------------------------------------------------------------
    async def _send_raw(self, message: dict[str, Any]) -> bool:
        """Sends on the current connection; False when it has dropped (the resume resends what is missing)."""
        socket = self._socket
        if socket is None:
            return False
        try:
            await socket.send(json.dumps(message))
            return True
        except ConnectionClosed:
            return False

    async def _send_frame(self, seq: int) -> bool:
        if seq not in self._unacked:
            return True
        await self._rate.wait()
        return await self._send_raw({"action": "audio", "seq": seq, "audio": self._unacked[seq]})

    async def _resend_unacked(self, *, locked: bool = False, delay_s: float = 0.0) -> None:
        """The frames not acknowledged yet, then `stop` once it was sent (`locked`: the caller holds the lock)."""
        if delay_s:  # never with `locked`: nothing may come between the caller's acquire and the finally
            await asyncio.sleep(delay_s)
        try:
            if not locked:
                await self._send_lock.acquire()
            for seq in sorted(self._unacked):
                if not await self._send_frame(seq):
                    return
            if self._stop_sent:
                await self._send_stop()
        finally:
            self._send_lock.release()

    async def _send_stop(self) -> bool:
        """`stop` after the last frame sent: the server holds it until that frame is applied."""
        return await self._send_raw({"action": "stop", "lastSeq": self._last_seq})

    async def _wait_for_new_connection(self, generation: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._generation != generation or self._ended)

    async def _sender(self) -> None:
        try:
            await self._send_all()
        except Exception as error:  # e.g. an unreadable file: end the stream with it, not hang on recv
            self._failure = error
            if self._socket is not None:
                await self._socket.close()

    async def _send_all(self) -> None:
        seq = 0
        async for frame in _each(self._frames):
            started = time.monotonic()
            self._unacked[seq] = base64.b64encode(frame).decode()
            self._drained.clear()
            generation = self._generation
            async with self._send_lock:
                sent = await self._send_frame(seq)
            if not sent:
                await self._wait_for_new_connection(generation)  # the resume resends this frame
            self._last_seq = seq
            seq += 1
            if self._realtime:
                frame_s = len(frame) / (2 * STREAM_SAMPLE_RATE)
                await asyncio.sleep(max(0.0, frame_s - (time.monotonic() - started)))
        self._stop_sent = True
        generation = self._generation
        async with self._send_lock:
            sent = await self._send_stop()
        if not sent:
            await self._wait_for_new_connection(generation)
        # a frame lost on the way (an invocation that failed without answering) would hold `stop` for ever
        for _ in range(MAX_FRAME_RETRIES):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), DRAIN_TIMEOUT_S)
                return
            await self._resend_unacked()

    def _acknowledge(self, ack: int) -> None:
        if ack > self._ack:
            self._ack = ack
        for seq in [s for s in self._unacked if s <= self._ack]:
            del self._unacked[seq]
            self._retries.pop(seq, None)
        if not self._unacked:
            self._drained.set()

    async def _resend_later(self, seqs: list[int], delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        async with self._send_lock:
            for seq in seqs:
                if not await self._send_frame(seq):
                    return

    def _on_error(self, error: ErrorEvent) -> None:
        """A refused frame (or `stop`) that a resend cures is resent; any other error ends the stream."""
        transient = error.code in _RESENDABLE or error.code.startswith("model.")
        if error.seq is None and transient and self._stop_sent and self._stop_retries < MAX_FRAME_RETRIES:
            # `stop` refused: not held past the gap's bounds, or an earlier final still being computed
            self._stop_retries += 1
            asyncio.get_running_loop().create_task(self._resend_unacked(delay_s=0.2 * self._stop_retries))
            return
        if error.seq is not None and transient:
            tries = self._retries[error.seq] = self._retries.get(error.seq, 0) + 1
            if tries <= MAX_FRAME_RETRIES:
                seqs = sorted(s for s in self._unacked if s > self._ack) if error.code == "stream.gap" else [error.seq]
                wait = (error.details or {}).get("retryAfterSeconds")
                delay = float(wait) if isinstance(wait, int | float) else 0.2 * tries
                asyncio.get_running_loop().create_task(self._resend_later(seqs, delay))
                return
        raise StreamError(error.code, error.message, error.seq, error.details)

    # --- the events ---------------------------------------------------------------------------------------------
    async def _events(self) -> AsyncIterator[StreamEvent]:
        socket, ready = await self._open(self._start)
        self._socket = socket
        self._take_ready(ready)
        sender = asyncio.get_running_loop().create_task(self._sender())
        try:
            while True:
                try:
                    assert self._socket is not None
                    text = await self._socket.recv()
                except ConnectionClosed:
                    if self._failure is not None:
                        raise self._failure from None
                    await self._resume()
                    continue
                event = parse_event(text)
                self._acknowledge(event.ack)
                if isinstance(event, ErrorEvent) and not isinstance(event, UtteranceError):
                    self._on_error(event)
                    continue
                if isinstance(event, Partial | Final | TranslationEvent | UtteranceError):
                    yield event
                elif isinstance(event, End):
                    self._ended = True
                    yield event
                    return
        finally:
            self._ended = True
            async with self._changed:
                self._changed.notify_all()
            sender.cancel()
            if self._socket is not None:
                await self._socket.close()


async def _each(frames: AudioFrames) -> AsyncIterator[bytes]:
    if isinstance(frames, AsyncIterable):
        async for frame in frames:
            if frame:
                yield frame
    else:
        for frame in frames:
            if frame:
                yield frame
            await asyncio.sleep(0)
