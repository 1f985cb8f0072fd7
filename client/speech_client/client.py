"""`SpeechClient`: the whole HTTPS API, synchronous (the asyncio twin is `AsyncSpeechClient`).

Its HTTPS methods are declared once, for both clients, in `operations.HttpOperations` (routes and flows); this
class says how to run them (blocking) and adds what only a sync client does: paging, and the WebSocket APIs run
on an event loop of their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx

from .config import ClientConfig
from .flows import DEFAULT_POLL_S, JobProgressCallback, Sleep, Step, Work, run_blocking
from .models import Job
from .operations import HttpOperations
from .streaming import AudioFrames, AudioStream, StreamEvent
from .streaming_tts import ChunkCallback, SynthesisStreamResult, synthesize_stream_to_file
from .sync_bridge import iterate_in_thread
from .transport import SyncTransport

__all__ = ["DEFAULT_POLL_S", "JobProgressCallback", "SpeechClient"]


class SpeechClient(HttpOperations):
    """A client of one API URL and key. Use as a context manager, or call `close()`.

    >>> client = SpeechClient()            # SPEECH_API_URL, SPEECH_API_KEY or a profile  # doctest: +SKIP
    >>> client.translate("hello", "en", "es").output[0].target  # doctest: +SKIP
    'hola'
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **load_options: Any,
    ) -> None:
        self.config = config or ClientConfig.load(api_url, api_key, **load_options)
        self._transport = SyncTransport(self.config, http, sleep)
        self._sleep = sleep

    def __enter__(self) -> SpeechClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def _run[T](self, work: Work[T]) -> T:
        """Runs a route's request or a flow's steps (`operations.HttpOperations`), blocking."""
        return run_blocking(work, self._perform)

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        return step.parse(self._transport.send(step.call))

    def iter_jobs(self, state: str | None = None, page_size: int = 50) -> Iterator[Job]:
        """Every job of this tenant, newest first, fetching pages as needed."""
        cursor: str | None = None
        while True:
            page = self.list_jobs(state, page_size, cursor)
            yield from page.jobs
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
    ) -> Iterator[StreamEvent]:
        """Live recognition of a file (decoded to 16 kHz) or any source of PCM16 frames: partials, finals,
        translations, then `End`; resumed after a dropped connection. Runs `AsyncSpeechClient.stream` in a thread."""
        options = {"translate_to": translate_to, "endpointing_ms": endpointing_ms, "realtime": realtime}
        url, key = self.config.websocket_url, self.config.api_key
        return iterate_in_thread(lambda: AudioStream(url, key, audio, language, **options))  # type: ignore[arg-type]

    def synthesize_stream(
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
        return asyncio.run(
            synthesize_stream_to_file(
                self.config.websocket_url,
                self.config.api_key,
                texts,
                language,
                output,
                gender=gender,
                sample_rate=sample_rate,
                on_chunk=on_chunk,
            )
        )
