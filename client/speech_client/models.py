"""What the API answers, as typed models (camelCase on the wire, snake_case in Python).

They follow the served OpenAPI document (`GET /v1/openapi.json`) and keep any field the API adds later
(`extra="allow"`), so a newer server never breaks an older client.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


# --- sync inference --------------------------------------------------------------------------------------------
class Segment(ApiModel):
    start: float
    end: float
    text: str
    confidence: float | None = None


class AsrOutput(ApiModel):
    #: the transcript in the requested format: plain text, SRT or WebVTT
    source: str
    segments: list[Segment] | None = None
    detected_language: str | None = None


class AsrResult(ApiModel):
    output: list[AsrOutput]

    @property
    def text(self) -> str:
        """The first (usually only) item's transcript."""
        return self.output[0].source if self.output else ""


class AudioOutput(ApiModel):
    audio_content: str | None = None
    audio_uri: str | None = None


class TtsResponseConfig(ApiModel):
    audio_format: str
    sampling_rate: int


class TtsResult(ApiModel):
    audio: list[AudioOutput]
    config: TtsResponseConfig

    def audio_bytes(self, index: int = 0) -> bytes:
        """The decoded audio of one item (inline delivery)."""
        content = self.audio[index].audio_content
        if content is None:
            raise ValueError("this item was delivered as a link (audio_uri), not inline")
        return base64.b64decode(content)


class Translation(ApiModel):
    source: str
    target: str


class TranslationResult(ApiModel):
    output: list[Translation]


class Transliteration(ApiModel):
    source: str
    target: list[str]


class TransliterationResult(ApiModel):
    output: list[Transliteration]


class LanguagePrediction(ApiModel):
    lang_code: str
    script_code: str | None = None
    lang_score: float


class LanguageIdOutput(ApiModel):
    source: str
    lang_prediction: list[LanguagePrediction]


class LanguageIdResult(ApiModel):
    output: list[LanguageIdOutput]


class PipelineResult(ApiModel):
    #: one response per task, in order, each in its task's shape (`taskType` says which)
    pipeline_response: list[dict[str, Any]]


# --- catalog, usage ---------------------------------------------------------------------------------------------
class ModelVersion(ApiModel):
    version: str
    weight: int


class ModelInfo(ApiModel):
    service_id: str
    task: str
    model: str
    versions: list[ModelVersion]
    languages: list[str] = []
    language_pairs: list[Any] = []
    voices: list[Any] = []
    limits: dict[str, Any] = {}
    description: str = ""


class ModelList(ApiModel):
    models: list[ModelInfo]


class UsageDay(ApiModel):
    day: str
    task: str
    requests: int
    errors: int
    audio_seconds: float
    characters: int


class Usage(ApiModel):
    key_prefix: str
    since: str
    until: str
    days: list[UsageDay]
    limits: dict[str, Any]
    current_windows: dict[str, Any]


class Health(ApiModel):
    status: str | None = None


# --- uploads and jobs -------------------------------------------------------------------------------------------
class Upload(ApiModel):
    upload_url: str
    audio_uri: str
    expires_in_seconds: int
    headers: dict[str, str] = {}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobProgress(ApiModel):
    audio_seconds: float = 0.0
    total_audio_seconds: float | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    fraction: float = 0.0


class JobError(ApiModel):
    code: str
    message: str


class Job(ApiModel):
    job_id: str
    state: JobState
    source: str
    attempt: int
    audio_uri: str
    language: str | None = None
    output_formats: list[str] = []
    progress: JobProgress = Field(default_factory=JobProgress)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    billed_audio_seconds: float | None = None
    #: format -> presigned HTTPS link, once succeeded
    results: dict[str, str] | None = None
    results_expire_in_seconds: int | None = None
    error: JobError | None = None


class JobList(ApiModel):
    jobs: list[Job]
    next_cursor: str | None = None


class TranscriptFormat(StrEnum):
    JSON = "json"
    TXT = "txt"
    SRT = "srt"
    VTT = "vtt"


class Transcript(ApiModel):
    """A transcript from `transcribe`: the document in the asked format, and how it was made."""

    format: TranscriptFormat
    content: str
    #: "sync" (one POST /v1/asr) or "job" (an upload and a batch job)
    via: str
    duration_s: float
    job: Job | None = None
