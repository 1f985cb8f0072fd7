"""`SpeechClient`: the whole HTTPS API, synchronous (the asyncio twin is `AsyncSpeechClient`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from .streaming import AudioFrames, AudioStream, StreamEvent
from .streaming_tts import ChunkCallback, SynthesisStreamResult, synthesize_stream_to_file
from .sync_bridge import iterate_in_thread
from .transcripts import SYNC_FORMAT, TOO_BIG_FOR_SYNC, fits_sync, render_sync
from .transport import SyncTransport

#: called with the job after each poll while waiting for it
JobProgressCallback = Callable[[Job], None]
DEFAULT_POLL_S = 2.0


class SpeechClient:
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

    def _run[T](self, request: Request[T]) -> T:
        return request.parse(self._transport.send(request.call))

    # --- sync inference -----------------------------------------------------------------------------------------
    def recognize(
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
        return self._run(
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

    def synthesize(
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
        return self._run(
            routes.synthesize(
                texts,
                language,
                gender=gender,
                audio_format=audio_format,
                sampling_rate=sampling_rate,
                data_tracking=data_tracking,
            )
        )

    def translate(self, texts: str | Iterable[str], source: str, target: str) -> TranslationResult:
        return self._run(routes.translate(texts, source, target))

    def transliterate(
        self,
        texts: str | Iterable[str],
        source: str,
        target: str,
        *,
        is_sentence: bool = True,
        num_suggestions: int = 5,
    ) -> TransliterationResult:
        return self._run(
            routes.transliterate(texts, source, target, is_sentence=is_sentence, num_suggestions=num_suggestions)
        )

    def detect_language(self, texts: str | Iterable[str]) -> LanguageIdResult:
        return self._run(routes.detect_language(texts))

    def pipeline(
        self,
        tasks: Sequence[dict[str, Any]],
        *,
        texts: str | Iterable[str] | None = None,
        audio: AudioSource | None = None,
    ) -> PipelineResult:
        return self._run(routes.pipeline(tasks, texts=texts, audio=audio))

    def models(self) -> ModelList:
        return self._run(routes.models())

    def usage(self, since: str | None = None, until: str | None = None) -> Usage:
        return self._run(routes.usage(since, until))

    def health(self) -> dict[str, Any]:
        return self._run(routes.health())

    # --- uploads and jobs ---------------------------------------------------------------------------------------
    def upload(self, path: str | Path, progress: UploadProgress | None = None) -> Upload:
        """Uploads a file for a job (or a sync `audio_uri`), calling `progress(sent, total)` as bytes go out."""
        path = Path(path)
        upload = self._run(routes.create_upload(path.name, routes.content_type_of(path)))
        self._transport.send(routes.put_upload(upload, path, progress))
        return upload

    def create_job(self, audio_uri: str, language: str = "en", **options: Any) -> Job:
        """POST /v1/jobs for an upload; options as `routes.create_job` (output_formats, webhook_url...)."""
        return self._run(routes.create_job(audio_uri, language, **options))

    def submit_job(
        self, path: str | Path, language: str = "en", *, progress: UploadProgress | None = None, **options: Any
    ) -> Job:
        """Upload and create a job in one step."""
        return self.create_job(self.upload(path, progress).audio_uri, language, **options)

    def get_job(self, job_id: str) -> Job:
        return self._run(routes.get_job(job_id))

    def list_jobs(self, state: str | None = None, limit: int = 20, cursor: str | None = None) -> JobList:
        return self._run(routes.list_jobs(state, limit, cursor))

    def iter_jobs(self, state: str | None = None, page_size: int = 50) -> Iterator[Job]:
        """Every job of this tenant, newest first, fetching pages as needed."""
        cursor: str | None = None
        while True:
            page = self.list_jobs(state, page_size, cursor)
            yield from page.jobs
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def cancel_job(self, job_id: str) -> Job:
        return self._run(routes.cancel_job(job_id))

    def retry_job(self, job_id: str) -> Job:
        return self._run(routes.retry_job(job_id))

    def delete_job(self, job_id: str) -> None:
        self._run(routes.delete_job(job_id))

    def wait_for_job(
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
            job = self.get_job(job_id)
            if on_progress:
                on_progress(job)
            if job.state.finished:
                if raise_on_failure and job.state is not JobState.SUCCEEDED:
                    raise JobFailedError(job)
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise RequestTimeoutError(f"job {job_id} still {job.state} after {timeout_s} s")
            self._sleep(poll_s)

    def transcript(self, job_id: str, transcript_format: str = "json") -> str:
        """The job's transcript in a format (so far, while it runs); follows the API's 303 for a large one."""
        response = self._run(routes.job_transcript(job_id, transcript_format))
        if response.status_code == 303:
            return self._run(routes.download(response.headers["location"])).decode("utf-8")
        return response.text

    def download_outputs(
        self, job: Job, directory: str | Path, formats: Sequence[str] | None = None
    ) -> dict[str, Path]:
        """Saves a succeeded job's results (all, or `formats`) as `<directory>/<job id>.<format>`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        saved: dict[str, Path] = {}
        for name, url in (job.results or {}).items():
            if formats is None or name in formats:
                saved[name] = directory / f"{job.job_id}.{name}"
                saved[name].write_bytes(self._run(routes.download(url)))
        return saved

    # --- any length ---------------------------------------------------------------------------------------------
    def transcribe(
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
                result = self.recognize(path, language, transcription_format=SYNC_FORMAT[fmt])  # type: ignore[arg-type]
                return Transcript(
                    format=fmt, content=render_sync(result, fmt, language, seconds), via="sync", duration_s=seconds
                )
            except InvalidRequestError as error:
                if error.code not in TOO_BIG_FOR_SYNC:
                    raise
        job = self.submit_job(path, language, progress=on_upload, output_formats=[fmt.value])
        job = self.wait_for_job(job.job_id, on_progress=on_job, poll_s=poll_s, timeout_s=timeout_s)
        content = self.transcript(job.job_id, fmt.value)
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
