"""`AsyncSpeechClient`: the whole HTTPS API for asyncio, method for method as `SpeechClient`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx

from . import routes
from .audio_files import duration_s
from .config import ClientConfig
from .errors import InvalidRequestError, JobFailedError, RequestTimeoutError
from .models import (
    AsrResult,
    Job,
    JobList,
    JobState,
    LanguageIdResult,
    ModelList,
    PipelineResult,
    Transcript,
    TranscriptFormat,
    TranslationResult,
    TransliterationResult,
    TtsResult,
    Upload,
    Usage,
)
from .routes import AsrFormat, AudioSource, Request, UploadProgress
from .streaming import AudioFrames, AudioStream
from .streaming_tts import ChunkCallback, SynthesisStreamResult, synthesize_stream_to_file
from .transcripts import SYNC_FORMAT, TOO_BIG_FOR_SYNC, fits_sync, render_sync
from .transport import AsyncTransport

#: called with the job after each poll while waiting for it
JobProgressCallback = Callable[[Job], None]
DEFAULT_POLL_S = 2.0


class AsyncSpeechClient:
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

    async def _run[T](self, request: Request[T]) -> T:
        return request.parse(await self._transport.send(request.call))

    # --- sync inference -----------------------------------------------------------------------------------------
    async def recognize(
        self,
        audio: AudioSource | None = None,
        language: str = "en",
        *,
        audio_uri: str | None = None,
        transcription_format: AsrFormat = "transcript",
        vad: bool = False,
        post_processors: Sequence[str] = (),
        data_tracking: bool | None = None,
    ) -> AsrResult:
        """Speech to text in one call (up to the sync limits: 60 s, 7.5 MB). See `transcribe` for any length."""
        return await self._run(
            routes.recognize(
                audio,
                language,
                audio_uri=audio_uri,
                transcription_format=transcription_format,
                vad=vad,
                post_processors=post_processors,
                data_tracking=data_tracking,
            )
        )

    async def synthesize(
        self,
        texts: str | Iterable[str],
        language: str,
        *,
        gender: Literal["male", "female"] = "female",
        audio_format: str = "wav",
        sampling_rate: int | None = None,
        data_tracking: bool | None = None,
    ) -> TtsResult:
        """Text to speech; `result.audio_bytes()` is the first item's audio."""
        return await self._run(
            routes.synthesize(
                texts,
                language,
                gender=gender,
                audio_format=audio_format,
                sampling_rate=sampling_rate,
                data_tracking=data_tracking,
            )
        )

    async def translate(self, texts: str | Iterable[str], source: str, target: str) -> TranslationResult:
        return await self._run(routes.translate(texts, source, target))

    async def transliterate(
        self,
        texts: str | Iterable[str],
        source: str,
        target: str,
        *,
        is_sentence: bool = True,
        num_suggestions: int = 5,
    ) -> TransliterationResult:
        return await self._run(
            routes.transliterate(texts, source, target, is_sentence=is_sentence, num_suggestions=num_suggestions)
        )

    async def detect_language(self, texts: str | Iterable[str]) -> LanguageIdResult:
        return await self._run(routes.detect_language(texts))

    async def pipeline(
        self,
        tasks: Sequence[dict[str, Any]],
        *,
        texts: str | Iterable[str] | None = None,
        audio: AudioSource | None = None,
    ) -> PipelineResult:
        return await self._run(routes.pipeline(tasks, texts=texts, audio=audio))

    async def models(self) -> ModelList:
        return await self._run(routes.models())

    async def usage(self, since: str | None = None, until: str | None = None) -> Usage:
        return await self._run(routes.usage(since, until))

    async def health(self) -> dict[str, Any]:
        return await self._run(routes.health())

    # --- uploads and jobs ---------------------------------------------------------------------------------------
    async def upload(self, path: str | Path, progress: UploadProgress | None = None) -> Upload:
        """Uploads a file for a job (or a sync `audio_uri`), calling `progress(sent, total)` as bytes go out."""
        path = Path(path)
        upload = await self._run(routes.create_upload(path.name, routes.content_type_of(path)))
        await self._transport.send(routes.put_upload(upload, path, progress))
        return upload

    async def create_job(self, audio_uri: str, language: str = "en", **options: Any) -> Job:
        """POST /v1/jobs for an upload; options as `routes.create_job` (output_formats, webhook_url...)."""
        return await self._run(routes.create_job(audio_uri, language, **options))

    async def submit_job(
        self, path: str | Path, language: str = "en", *, progress: UploadProgress | None = None, **options: Any
    ) -> Job:
        """Upload and create a job in one step."""
        upload = await self.upload(path, progress)
        return await self.create_job(upload.audio_uri, language, **options)

    async def get_job(self, job_id: str) -> Job:
        return await self._run(routes.get_job(job_id))

    async def list_jobs(self, state: str | None = None, limit: int = 20, cursor: str | None = None) -> JobList:
        return await self._run(routes.list_jobs(state, limit, cursor))

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

    async def cancel_job(self, job_id: str) -> Job:
        return await self._run(routes.cancel_job(job_id))

    async def retry_job(self, job_id: str) -> Job:
        return await self._run(routes.retry_job(job_id))

    async def delete_job(self, job_id: str) -> None:
        await self._run(routes.delete_job(job_id))

    async def wait_for_job(
        self,
        job_id: str,
        *,
        on_progress: JobProgressCallback | None = None,
        poll_s: float = DEFAULT_POLL_S,
        timeout_s: float | None = None,
        raise_on_failure: bool = True,
    ) -> Job:
        """Polls until the job ends; `on_progress(job)` after each poll. Raises JobFailedError if it did not succeed."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            job = await self.get_job(job_id)
            if on_progress:
                on_progress(job)
            if job.state.finished:
                if raise_on_failure and job.state is not JobState.SUCCEEDED:
                    raise JobFailedError(job)
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise RequestTimeoutError(f"job {job_id} still {job.state} after {timeout_s} s")
            await self._sleep(poll_s)

    async def transcript(self, job_id: str, transcript_format: str = "json") -> str:
        """The job's transcript in a format (so far, while it runs); follows the API's 303 for a large one."""
        response = await self._run(routes.job_transcript(job_id, transcript_format))
        if response.status_code == 303:
            return (await self._run(routes.download(response.headers["location"]))).decode("utf-8")
        return response.text

    async def download_outputs(
        self, job: Job, directory: str | Path, formats: Sequence[str] | None = None
    ) -> dict[str, Path]:
        """Saves a succeeded job's results (all, or `formats`) as `<directory>/<job id>.<format>`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        saved: dict[str, Path] = {}
        for name, url in (job.results or {}).items():
            if formats is None or name in formats:
                saved[name] = directory / f"{job.job_id}.{name}"
                saved[name].write_bytes(await self._run(routes.download(url)))
        return saved

    # --- any length ---------------------------------------------------------------------------------------------
    async def transcribe(
        self,
        path: str | Path,
        language: str = "en",
        transcript_format: TranscriptFormat | str = TranscriptFormat.TXT,
        *,
        on_upload: UploadProgress | None = None,
        on_job: JobProgressCallback | None = None,
        poll_s: float = DEFAULT_POLL_S,
        timeout_s: float | None = None,
    ) -> Transcript:
        """A file of any length to a transcript: one sync call when the audio fits the sync limits, else a job."""
        path, fmt = Path(path), TranscriptFormat(transcript_format)
        seconds = duration_s(path)
        if fits_sync(path, seconds):
            try:
                result = await self.recognize(path, language, transcription_format=SYNC_FORMAT[fmt])  # type: ignore[arg-type]
                return Transcript(
                    format=fmt, content=render_sync(result, fmt, language, seconds), via="sync", duration_s=seconds
                )
            except InvalidRequestError as error:
                if error.code not in TOO_BIG_FOR_SYNC:
                    raise
        job = await self.submit_job(path, language, progress=on_upload, output_formats=[fmt.value])
        job = await self.wait_for_job(job.job_id, on_progress=on_job, poll_s=poll_s, timeout_s=timeout_s)
        content = await self.transcript(job.job_id, fmt.value)
        return Transcript(format=fmt, content=content, via="job", duration_s=seconds, job=job)

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
