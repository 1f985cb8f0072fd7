"""Plain, typed records the repositories return (never ORM objects, so no session leaks out)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: every record builds its validator when first used, not at import: a function builds only the records it
#: touches (the authorizer: keys and tenants), once
_DEFERRED = ConfigDict(defer_build=True)


class _Record(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True, defer_build=True)


class TenantRecord(_Record):
    id: uuid.UUID
    name: str
    display_name: str
    active: bool
    created_at: datetime
    default_language: str | None = None
    audio_url_allowed_hosts: list[str] = []


class NewApiKey(BaseModel):
    model_config = _DEFERRED

    tenant_id: uuid.UUID
    name: str
    prefix: str
    key_hash: bytes
    scopes: list[str]
    rate_per_minute: int
    rate_per_hour: int
    daily_quota: int
    expires_at: datetime | None = None
    rotated_from_id: uuid.UUID | None = None


class ApiKeyRecord(NewApiKey, _Record):
    """A stored key. `key_hash` stays inside the key service; views for callers drop it."""

    id: uuid.UUID
    revoked: bool
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class CallMeasures(BaseModel):
    """What a call did: task, model, languages and sizes (filled in while the call runs)."""

    model_config = _DEFERRED

    task: str
    model_name: str | None = None
    model_version: str | None = None
    source_language: str | None = None
    target_language: str | None = None
    input_bytes: int = 0
    audio_seconds: float = 0.0
    characters: int = 0


class RequestLogEntry(CallMeasures):
    """What every sync call records, whether it succeeded or not."""

    request_id: str = Field(max_length=64)
    tenant_id: uuid.UUID
    api_key_id: uuid.UUID | None = None
    processing_ms: float = 0.0
    status: int
    error_code: str | None = None
    created_at: datetime | None = None


class RequestLogRecord(RequestLogEntry, _Record):
    id: int
    created_at: datetime


class UsageRecord(_Record):
    #: None for usage no key made (S3-drop jobs)
    api_key_id: uuid.UUID | None
    tenant_id: uuid.UUID
    day: date
    task: str
    requests: int
    errors: int
    audio_seconds: float
    characters: int


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}


class JobSource(StrEnum):
    """How a job was made: through `POST /v1/jobs` or by an object dropped under `incoming/<tenant>/`."""

    API = "api"
    S3 = "s3"


class NewJob(BaseModel):
    model_config = _DEFERRED

    tenant_id: uuid.UUID
    api_key_id: uuid.UUID | None = None
    idempotency_key: str = Field(max_length=300)
    input_bucket: str
    input_key: str
    source_language: str | None = None
    #: the create request's validated `JobOptions` (contracts.jobs), as JSON
    options: dict[str, Any] = Field(default_factory=dict)
    source: JobSource = JobSource.API
    webhook_url: str | None = Field(default=None, max_length=2048)


class JobRecord(NewJob, _Record):
    id: uuid.UUID
    state: JobState
    progress: float
    outputs: dict[str, Any]
    error_code: str | None
    error_message: str | None
    execution_arn: str | None
    audio_seconds_total: float | None
    audio_seconds_done: float
    chunks_total: int | None
    chunks_done: int
    billed_audio_seconds: float | None
    attempt: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobCursor(BaseModel):
    """Where a page of jobs (newest first) stopped: the last job's creation time and id."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    created_at: datetime
    job_id: uuid.UUID


class JobPage(BaseModel):
    model_config = _DEFERRED

    jobs: list[JobRecord]
    #: where the next page starts; None on the last page
    next_after: JobCursor | None = None


#: the sample rate of every job's timeline (chunk offsets and lengths count samples at this rate)
JOB_SAMPLE_RATE = 16_000


class ChunkState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class ChunkWord(BaseModel):
    """A word of a chunk's transcript, its times in seconds relative to the chunk's start."""

    model_config = _DEFERRED

    word: str
    start: float
    end: float
    confidence: float | None = None


class NewJobChunk(BaseModel):
    """A chunk as `prepare` cuts it: sample-accurate on the job's 16 kHz timeline."""

    model_config = _DEFERRED

    index: int = Field(ge=0)
    start_sample: int = Field(ge=0)
    num_samples: int = Field(gt=0)
    object_key: str = Field(max_length=1024)


class JobChunkRecord(NewJobChunk, _Record):
    job_id: uuid.UUID
    state: ChunkState
    transcript: str | None
    words: list[ChunkWord] | None
    model_version: str | None
    attempts: int
    error_code: str | None
    error_message: str | None
    updated_at: datetime


class NewWebhookDelivery(BaseModel):
    """One try at delivering a webhook; `id` is the delivery's idempotency id, the same on every try."""

    model_config = _DEFERRED

    id: uuid.UUID
    job_id: uuid.UUID
    event: str = Field(max_length=16)
    url: str = Field(max_length=2048)
    attempt: int = Field(ge=1)
    status_code: int | None = None
    error: str | None = None
    delivered: bool


class WebhookDeliveryRecord(NewWebhookDelivery, _Record):
    created_at: datetime


class Segment(BaseModel):
    model_config = _DEFERRED

    start_s: float
    end_s: float
    text: str
    confidence: float | None = None


class NewResult(BaseModel):
    """Exactly one of request_id / job_id owns a result."""

    model_config = _DEFERRED

    tenant_id: uuid.UUID
    request_id: str | None = None
    job_id: uuid.UUID | None = None
    task: str
    transcript: str | None = None
    confidence: float | None = None
    segments: list[Segment] | None = None
    detected_language: str | None = None
    translated_text: str | None = None
    audio_object_key: str | None = None
    audio_duration_s: float | None = None
    sample_rate: int | None = None


class ResultRecord(NewResult, _Record):
    id: uuid.UUID
    created_at: datetime


class ConnectionState(StrEnum):
    OPEN = "open"
    STREAMING = "streaming"
    #: the connection dropped mid-stream: its session may be resumed on a new connection for a while
    DETACHED = "detached"
    CLOSED = "closed"


class ConnectionRecord(_Record):
    connection_id: str
    tenant_id: uuid.UUID
    api_key_id: uuid.UUID | None
    sequence_id: int
    state: ConnectionState
    task: str | None
    source_language: str | None
    sample_rate: int | None
    audio_seconds: float
    connected_at: datetime
    last_seen_at: datetime
    disconnected_at: datetime | None


class PendingFrame(BaseModel):
    """A frame received ahead of a gap, held until the missing frames arrive; or a `finalize`/`stop` sent with
    a `lastSeq` not applied yet (`control`), held under a key below 0 until frame `after_seq` is applied
    (speech_core.streaming.frame_order)."""

    model_config = ConfigDict(defer_build=True)

    audio: str = ""
    received_at: float = Field(description="epoch seconds")
    control: Literal["finalize", "stop"] | None = None
    after_seq: int | None = None


class FinalStatus(StrEnum):
    PENDING = "pending"  # the utterance's audio kept, its final not computed yet
    READY = "ready"  # the messages computed (the audio cleared), not yet delivered
    DELIVERED = "delivered"  # pushed: the store deletes the row (nothing of it is needed any more)


class StreamFinalRecord(BaseModel):
    """An utterance's final computed after its frame was answered (`stream_finals`, migration 0011)."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)

    session_id: uuid.UUID
    utterance: int
    status: FinalStatus
    start_s: float
    end_s: float
    ack: int
    language: str
    translate_to: str | None = None
    audio: bytes | None = Field(default=None, description="pcm_s16le samples while pending")
    messages: list[str] = Field(default_factory=list, description="the answers as JSON text frames")
    claimed_until: datetime | None = Field(
        default=None,
        description="while pending: until when the invocation that ended the utterance may still be computing it "
        "(past it, that invocation is dead and any invocation of the session computes it; migration 0012)",
    )


class StreamState(BaseModel):
    """A connection's stream as one frame sees it under the row lock (mutable; written back on commit)."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)

    connection_id: str
    tenant_id: uuid.UUID
    api_key_id: uuid.UUID | None
    sequence_id: int
    state: ConnectionState
    task: str | None
    source_language: str | None
    sample_rate: int | None
    audio_seconds: float
    session_id: uuid.UUID | None
    resume_token_hash: str | None
    next_seq: int
    #: frames received ahead of a gap, by seq
    pending_frames: dict[int, PendingFrame]
    utterance_open: bool
    utterance_start_s: float
    last_partial: str
    usage_recorded_at: datetime | None
    # migration 0007 (defaults: what a new row holds)
    last_seen_at: datetime | None = None
    disconnected_at: datetime | None = None
    resumed_from: str | None = None
    stream_sequence_id: int | None = None
    recorded_audio_seconds: float = 0.0
    endpointing_ms: int | None = None
    trailing_silence_s: float = 0.0
    utterance_has_speech: bool = False
    translate_to: str | None = None
    interim_results: bool = True
    #: partial latencies, {histogram bucket: count} (speech_core.streaming.latency)
    partial_latency_ms: dict[int, int] = Field(default_factory=dict)
    last_audio_at: float | None = None
    rate_window_start: float = 0.0
    rate_window_frames: int = 0
    # migration 0011
    utterance_index: int = 0
    #: finals this frame left pending (inserted with the row's commit; not a column)
    new_finals: list[StreamFinalRecord] = Field(default_factory=list, exclude=True)

    @property
    def triton_sequence_id(self) -> int:
        """The session's Triton sequence: the first connection's, kept by every resumed one."""
        return self.stream_sequence_id or self.sequence_id

    @property
    def ack(self) -> int:
        """The highest seq applied contiguously (-1 before any)."""
        return self.next_seq - 1
