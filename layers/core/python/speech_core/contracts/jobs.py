"""Batch jobs on the wire: the create request, the job a client sees, pages of jobs, and the state machine's input.

camelCase like every other model here (`WireModel`). `JobOptions` is what a job keeps of its create request
(the `jobs.options` column, written with `to_stored()` and read back with `JobOptions.model_validate`); the
API path and the S3-drop path both make one. `JobExecutionInput` is the one message shape of the job-start
queue and the input of each execution (docs/jobs-contract.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from speech_core.db.records import JobSource, JobState
from speech_core.transcripts.models import TranscriptFormat

from .limits import MAX_AUDIO_URI_CHARS
from .task_configs import LanguageSpec, PostProcessor, PreProcessor, _drop_nulls
from .wire_model import WireModel

#: characters of an `idempotencyKey` (printable ASCII, no spaces)
MAX_IDEMPOTENCY_KEY_CHARS = 200
#: characters of a webhook URL
MAX_WEBHOOK_URL_CHARS = 2_048
#: jobs in one page of `GET /v1/jobs`
MAX_JOBS_PAGE = 100
DEFAULT_JOBS_PAGE = 20
ALL_FORMATS = tuple(TranscriptFormat)


class JobConfig(WireModel):
    """`config` of a job: the language of the audio and the processors, as in the sync ASR request."""

    language: LanguageSpec
    pre_processors: Annotated[list[PreProcessor], BeforeValidator(_drop_nulls)] = []
    post_processors: Annotated[list[PostProcessor], BeforeValidator(_drop_nulls)] = []


class SubtitleOptions(WireModel):
    """The line rules every srt/vtt cue obeys."""

    max_chars_per_line: int = Field(default=42, ge=10, le=120, description="characters on one subtitle line")
    lines_per_cue: int = Field(default=2, ge=1, le=4, description="lines in one cue")


class WebhookSpec(WireModel):
    """Where to POST a signed notification when the job finishes (checked again, after DNS, at delivery)."""

    url: str = Field(max_length=MAX_WEBHOOK_URL_CHARS, description="an absolute https:// URL")

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if not value.isprintable() or parts.scheme.lower() not in ("https", "http") or not parts.hostname:
            raise PydanticCustomError("webhook_url", "webhook.url must be an absolute https:// URL.")
        return value


def _unique_formats(value: object) -> object:
    # ["srt", "srt"] asks for srt once
    if isinstance(value, list):
        return list(dict.fromkeys(value))
    return value


class JobOptions(WireModel):
    """What a job does with its audio; kept with the job (`jobs.options`)."""

    config: JobConfig
    output_formats: Annotated[list[TranscriptFormat], BeforeValidator(_unique_formats)] = Field(
        default_factory=lambda: list(ALL_FORMATS),
        min_length=1,
        max_length=len(ALL_FORMATS),
        description="outputs written when the job succeeds; all four by default",
    )
    subtitles: SubtitleOptions = Field(default_factory=SubtitleOptions)
    webhook: WebhookSpec | None = None

    def to_stored(self) -> dict[str, Any]:
        """The JSON kept in `jobs.options` (the wire form: one spelling wherever it is read)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class CreateJobRequest(JobOptions):
    """`POST /v1/jobs`: transcribe an upload (`audioUri` from `POST /v1/uploads`)."""

    audio_uri: str = Field(
        max_length=MAX_AUDIO_URI_CHARS,
        description="s3://<ingest bucket>/uploads/<your tenant>/... as POST /v1/uploads returns it",
    )
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_CHARS,
        pattern=r"^[!-~]+$",
        description="a create retried with the same key returns the same job instead of making another",
    )

    @field_validator("audio_uri")
    @classmethod
    def _s3_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        # printable only: a NUL or a lone surrogate is no S3 key (and PostgreSQL text refuses both)
        if not value.isprintable() or parts.scheme != "s3" or not parts.netloc or not parts.path.strip("/"):
            raise PydanticCustomError("audio_uri", "audioUri must be an s3:// URI of your upload (POST /v1/uploads).")
        return value

    def options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(include=set(JobOptions.model_fields)))


class JobProgress(WireModel):
    """How far a job is: audio seconds transcribed of the total, and chunks done of the total."""

    audio_seconds: float = Field(ge=0, description="seconds of audio transcribed so far")
    total_audio_seconds: float | None = Field(default=None, ge=0, description="known once the audio is decoded")
    chunks_done: int = Field(ge=0)
    chunks_total: int | None = Field(default=None, ge=0, description="known once the audio is split")
    fraction: float = Field(ge=0, le=1, description="audioSeconds / totalAudioSeconds (1 when succeeded)")


class JobError(WireModel):
    code: str = Field(description="stable machine code, e.g. audio.corrupt or job.chunk_failed")
    message: str


class Job(WireModel):
    """A batch transcription job as a client sees it."""

    job_id: uuid.UUID
    state: JobState
    source: JobSource = Field(description="api (POST /v1/jobs) or s3 (dropped under incoming/<tenant>/)")
    attempt: int = Field(ge=1, description="1, then one more for each retry")
    audio_uri: str
    language: str | None = None
    output_formats: list[TranscriptFormat]
    post_processors: list[PostProcessor] = Field(default=[], description="the post-processors the job asked for")
    skipped_post_processors: list[str] = Field(
        default=[],
        description="the asked post-processors no served model applies for the job's language (punctuation; itn "
        "outside en and hi): its outputs are as heard for those (the sync API's X-Skipped-Post-Processors)",
    )
    progress: JobProgress
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    billed_audio_seconds: float | None = Field(default=None, ge=0)
    results: dict[TranscriptFormat, str] | None = Field(
        default=None, description="format -> presigned HTTPS link, when the job succeeded"
    )
    results_expire_in_seconds: int | None = None
    error: JobError | None = None


class JobList(WireModel):
    """One page of jobs, newest first; pass `nextCursor` as `cursor` for the next one."""

    jobs: list[Job]
    next_cursor: str | None = None


class TranscriptWordView(WireModel):
    word: str
    start: float = Field(ge=0, description="seconds from the start of the audio")
    end: float = Field(ge=0)
    confidence: float | None = None


class TranscriptSegmentView(WireModel):
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    words: list[TranscriptWordView] | None = None


class TranscriptDocument(WireModel):
    """The json output of a job (`transcript.json`, `GET /v1/jobs/{jobId}/transcript?format=json`); rendered by
    speech_core.transcripts, described here for the OpenAPI document."""

    language: str | None = None
    duration: float = Field(ge=0, description="seconds of audio the transcript covers")
    complete: bool = Field(description="false while chunks are missing (listed in missingChunks)")
    missing_chunks: list[int]
    text: str
    segments: list[TranscriptSegmentView]


class JobRef(WireModel):
    """Which job (and which attempt of it) an execution is for."""

    job_id: uuid.UUID
    tenant_id: uuid.UUID
    attempt: int = Field(ge=1)

    @property
    def execution_name(self) -> str:
        """`<job id>-a<attempt>`: one execution per attempt; starting the same attempt again is refused by
        Step Functions (ExecutionAlreadyExists), which makes a redelivered start harmless."""
        return f"{self.job_id}-a{self.attempt}"


class JobExecutionInput(WireModel):
    """`{"job": {"jobId", "tenantId", "attempt"}}`: a job-start queue message and an execution's input."""

    job: JobRef
