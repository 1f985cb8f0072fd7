"""`AsyncSpeechClient`: the whole HTTPS API for asyncio, method for method as `SpeechClient`.

Its HTTPS methods are declared once, for both clients, in `operations.HttpOperations` (routes and flows); this
class says how to run them (awaiting) and adds paging and the WebSocket APIs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import httpx

from .config import ClientConfig
from .flows import DEFAULT_POLL_S, JobProgressCallback, Sleep, Step, Work, run_awaiting
from .models import Job
from .operations import HttpOperations
from .streaming import AudioFrames, AudioStream
from .streaming_tts import ChunkCallback, SynthesisStreamResult, synthesize_stream_to_file
from .transport import AsyncTransport

__all__ = ["DEFAULT_POLL_S", "JobProgressCallback", "AsyncSpeechClient"]


class AsyncSpeechClient(HttpOperations):
    """A client of one API URL and key for asyncio. Use as an async context manager, or await `aclose()`."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        **load_options: Any,
    ) -> None:
        self.config = config or ClientConfig.load(api_url, api_key, **load_options)
        self._transport = AsyncTransport(self.config, http, sleep)
        self._sleep = sleep

    async def __aenter__(self) -> AsyncSpeechClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _run[T](self, work: Work[T]) -> T:
        """Runs a route's request or a flow's steps (`operations.HttpOperations`), awaiting."""
        return await run_awaiting(work, self._perform)

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        return step.parse(await self._transport.send(step.call))

    async def iter_jobs(self, state: str | None = None, page_size: int = 50) -> AsyncIterator[Job]:
        """Every job of this tenant, newest first, fetching pages as needed."""
        cursor: str | None = None
        while True:
            page = await self.list_jobs(state, page_size, cursor)
            for job in page.jobs:
                yield job
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    # --- streaming ----------------------------------------------------------------------------------------------
    def stream(
        self,
        audio: AudioFrames | str | Path,
        language: str = "en",
        *,
        translate_to: str | None = None,
        endpointing_ms: int | None = None,
        realtime: bool = False,
    ) -> AudioStream:
        """Live recognition: `async for event in client.stream("talk.wav")` gives `Partial`, `Final`,
        `TranslationEvent` (with `translate_to`) and last `End`. `audio` is a file (decoded to 16 kHz mono) or any
        iterable or async iterable of 16 kHz PCM16 frames (a microphone). A dropped connection is resumed."""
        return AudioStream(
            self.config.websocket_url,
            self.config.api_key,
            audio,
            language,
            translate_to=translate_to,
            endpointing_ms=endpointing_ms,
            realtime=realtime,
        )

    async def synthesize_stream(
        self,
        texts: str | Iterable[str],
        language: str,
        output: str | Path,
        *,
        gender: Literal["male", "female"] = "female",
        sample_rate: int = 16_000,
        on_chunk: ChunkCallback | None = None,
    ) -> SynthesisStreamResult:
        """Streaming TTS over the WebSocket API into a WAV file: audio arrives sentence by sentence
        (`on_chunk(seconds so far, chunk)`), so the first sentence is ready long before the whole text."""
        return await synthesize_stream_to_file(
            self.config.websocket_url,
            self.config.api_key,
            texts,
            language,
            output,
            gender=gender,
            sample_rate=sample_rate,
            on_chunk=on_chunk,
        )
