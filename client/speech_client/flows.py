"""Operations of several calls (upload, wait for a job, transcribe...) written once, as generators of steps.

A flow yields a `Request` (the client sends it and sends the parsed answer back in, or throws its error in at
the `yield`) or a `Sleep`, and returns the operation's result. `SpeechClient` performs the steps blocking,
`AsyncSpeechClient` awaiting (`run_blocking` / `run_awaiting`), so neither client repeats an operation's logic.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import routes
from .audio_files import duration_s
from .errors import InvalidRequestError, JobFailedError, RequestTimeoutError
from .models import Job, JobState, Transcript, TranscriptFormat, Upload
from .routes import Request, UploadProgress
from .transcripts import SYNC_FORMAT, TOO_BIG_FOR_SYNC, fits_sync, render_sync

#: called with the job after each poll while waiting for it
JobProgressCallback = Callable[[Job], None]
DEFAULT_POLL_S = 2.0


@dataclass(frozen=True)
class Sleep:
    """A pause between two calls (polling a job): the client sleeps with its own (injectable) sleep."""

    seconds: float


type Step = Request[Any] | Sleep
type Flow[T] = Generator[Step, Any, T]
#: what a client method runs: one request, or a flow of several
type Work[T] = Request[T] | Flow[T]


def call[T](request: Request[T]) -> Flow[T]:
    """One request inside a flow, typed: `job = yield from call(routes.get_job(job_id))`."""
    answer: T = yield request
    return answer


def _as_flow[T](work: Work[T]) -> Flow[T]:
    return call(work) if isinstance(work, Request) else work


@dataclass(frozen=True)
class _Done[T]:
    value: T


class _Run[T]:
    """A flow being run: its next step, given the last step's answer or error."""

    def __init__(self, work: Work[T]) -> None:
        self._flow = _as_flow(work)
        self._answer: Any = None
        self._error: Exception | None = None

    def next_step(self) -> Step | _Done[T]:
        answer, error, self._answer, self._error = self._answer, self._error, None, None
        try:
            return self._flow.throw(error) if error is not None else self._flow.send(answer)
        except StopIteration as stop:
            return _Done(stop.value)

    def answer(self, value: Any) -> None:
        self._answer = value

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around performing a step: an error it raises is raised inside the flow, where the call was made."""
        try:
            yield
        except Exception as error:
            self._error = error


def run_blocking[T](work: Work[T], perform: Callable[[Step], Any]) -> T:
    """Runs `work` to its result, performing each step with a blocking `perform`."""
    run = _Run(work)
    while not isinstance(step := run.next_step(), _Done):
        with run.answering():
            run.answer(perform(step))
    return step.value


async def run_awaiting[T](work: Work[T], perform: Callable[[Step], Awaitable[Any]]) -> T:
    """As `run_blocking`, awaiting each step."""
    run = _Run(work)
    while not isinstance(step := run.next_step(), _Done):
        with run.answering():
            run.answer(await perform(step))
    return step.value


# --- uploads and jobs -------------------------------------------------------------------------------------------
def upload(path: str | Path, progress: UploadProgress | None = None) -> Flow[Upload]:
    """Uploads a file for a job (or a sync `audio_uri`), calling `progress(sent, total)` as bytes go out."""
    path = Path(path)
    ticket = yield from call(routes.create_upload(path.name, routes.content_type_of(path)))
    yield from call(routes.put_upload(ticket, path, progress))
    return ticket


def submit_job(
    path: str | Path, language: str = "en", *, progress: UploadProgress | None = None, **options: Any
) -> Flow[Job]:
    """Upload and create a job in one step."""
    ticket = yield from upload(path, progress)
    return (yield from call(routes.create_job(ticket.audio_uri, language, **options)))


def wait_for_job(
    job_id: str,
    *,
    on_progress: JobProgressCallback | None = None,
    poll_s: float = DEFAULT_POLL_S,
    timeout_s: float | None = None,
    raise_on_failure: bool = True,
) -> Flow[Job]:
    """Polls until the job ends; `on_progress(job)` after each poll. Raises JobFailedError if it did not succeed."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        job = yield from call(routes.get_job(job_id))
        if on_progress:
            on_progress(job)
        if job.state.finished:
            if raise_on_failure and job.state is not JobState.SUCCEEDED:
                raise JobFailedError(job)
            return job
        if deadline is not None and time.monotonic() >= deadline:
            raise RequestTimeoutError(f"job {job_id} still {job.state} after {timeout_s} s")
        yield Sleep(poll_s)


def transcript(job_id: str, transcript_format: str = "json") -> Flow[str]:
    """The job's transcript in a format (so far, while it runs); follows the API's 303 for a large one."""
    response = yield from call(routes.job_transcript(job_id, transcript_format))
    if response.status_code == 303:
        content = yield from call(routes.download(response.headers["location"]))
        return content.decode("utf-8")
    return response.text


def download_outputs(job: Job, directory: str | Path, formats: Sequence[str] | None = None) -> Flow[dict[str, Path]]:
    """Saves a succeeded job's results (all, or `formats`) as `<directory>/<job id>.<format>`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    saved: dict[str, Path] = {}
    for name, url in (job.results or {}).items():
        if formats is None or name in formats:
            saved[name] = directory / f"{job.job_id}.{name}"
            saved[name].write_bytes((yield from call(routes.download(url))))
    return saved


# --- any length -------------------------------------------------------------------------------------------------
def transcribe(
    path: str | Path,
    language: str = "en",
    transcript_format: TranscriptFormat | str = TranscriptFormat.TXT,
    *,
    on_upload: UploadProgress | None = None,
    on_job: JobProgressCallback | None = None,
    poll_s: float = DEFAULT_POLL_S,
    timeout_s: float | None = None,
) -> Flow[Transcript]:
    """A file of any length to a transcript: one sync call when the audio fits the sync limits, else a job."""
    path, fmt = Path(path), TranscriptFormat(transcript_format)
    seconds = duration_s(path)
    if fits_sync(path, seconds):
        try:
            result = yield from call(routes.recognize(path, language, transcription_format=SYNC_FORMAT[fmt]))  # type: ignore[arg-type]
            return Transcript(
                format=fmt, content=render_sync(result, fmt, language, seconds), via="sync", duration_s=seconds
            )
        except InvalidRequestError as error:
            if error.code not in TOO_BIG_FOR_SYNC:
                raise
    job = yield from submit_job(path, language, progress=on_upload, output_formats=[fmt.value])
    job = yield from wait_for_job(job.job_id, on_progress=on_job, poll_s=poll_s, timeout_s=timeout_s)
    content = yield from transcript(job.job_id, fmt.value)
    return Transcript(format=fmt, content=content, via="job", duration_s=seconds, job=job)
