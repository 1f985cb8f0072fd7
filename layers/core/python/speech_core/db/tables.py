"""The PostgreSQL schema as SQLAlchemy 2 declarative tables.

Migrations in `migrations/versions` are the source of truth for the live schema; these classes must match
them (a test compares the two with alembic's autogenerate). Repositories never leak these objects: they
return the pydantic records in `records`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[datetime] = _created_at()
    #: the language of an S3-drop job with no metadata or sidecar language; NULL: the platform default
    default_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: hosts an https `audioUri` may be fetched from for this tenant; empty: any host passing the SSRF checks
    audio_url_allowed_hosts: Mapped[list[str]] = mapped_column(ARRAY(String(253)), nullable=False, server_default="{}")


class ApiKey(Base):
    """An API key: only its hash and a display prefix are stored, never the key itself."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("rate_per_minute > 0 AND rate_per_hour > 0 AND daily_quota > 0", name="positive_limits"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    rate_per_minute: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_per_hour: Mapped[int] = mapped_column(Integer, nullable=False)
    daily_quota: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rotated_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _created_at()


class RequestLog(Base):
    """One row per sync API call, success or failure."""

    __tablename__ = "request_log"
    __table_args__ = (Index("ix_request_log_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    task: Mapped[str] = mapped_column(String(32), nullable=False)
    model_name: Mapped[str | None] = mapped_column(String(100))
    model_version: Mapped[str | None] = mapped_column(String(32))
    source_language: Mapped[str | None] = mapped_column(String(16))
    target_language: Mapped[str | None] = mapped_column(String(16))
    input_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    audio_seconds: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    characters: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    processing_ms: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()


class Job(Base):
    """A long-running batch transcription (docs/jobs-contract.md, "Database")."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        CheckConstraint("source IN ('api', 's3')", name="source_known"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        Index("ix_jobs_tenant_created", "tenant_id", "created_at"),
        Index("ix_jobs_tenant_state_created", "tenant_id", "state", "created_at"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(300), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    progress: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    input_bucket: Mapped[str] = mapped_column(String(255), nullable=False)
    input_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    source_language: Mapped[str | None] = mapped_column(String(16))
    options: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    outputs: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    execution_arn: Mapped[str | None] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(8), nullable=False, server_default="api")
    audio_seconds_total: Mapped[float | None] = mapped_column(Float)
    audio_seconds_done: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    chunks_total: Mapped[int | None] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    billed_audio_seconds: Mapped[float | None] = mapped_column(Float)
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobChunk(Base):
    """One chunk of a job's audio on the job's 16 kHz timeline, and what the model made of it."""

    __tablename__ = "job_chunks"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'done', 'failed')", name="state_known"),
        CheckConstraint("start_sample >= 0 AND num_samples > 0", name="samples_range"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_sample: Mapped[int] = mapped_column(BigInteger, nullable=False)
    num_samples: Mapped[int] = mapped_column(BigInteger, nullable=False)
    object_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    transcript: Mapped[str | None] = mapped_column(Text)
    words: Mapped[list | None] = mapped_column(JSONB)
    model_version: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class WebhookDelivery(Base):
    """One try at delivering a job's webhook; every try of one delivery shares its id (the `Webhook-Id`)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(16), nullable=False)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = _created_at()


class Result(Base):
    """What a model produced, for a sync request (request_id) or a batch job (job_id)."""

    __tablename__ = "results"
    __table_args__ = (
        CheckConstraint("(request_id IS NULL) <> (job_id IS NULL)", name="one_owner"),
        Index("ix_results_request_id", "request_id"),
        Index("ix_results_job_id", "job_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(32), nullable=False)
    transcript: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    segments: Mapped[list | None] = mapped_column(JSONB)
    detected_language: Mapped[str | None] = mapped_column(String(16))
    translated_text: Mapped[str | None] = mapped_column(Text)
    audio_object_key: Mapped[str | None] = mapped_column(String(1024))
    audio_duration_s: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created_at()


class WebSocketConnection(Base):
    """A live (or closed) streaming connection; its sequence id keys the Triton stateful model."""

    __tablename__ = "websocket_connections"

    connection_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    sequence_id: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    task: Mapped[str | None] = mapped_column(String(32))
    source_language: Mapped[str | None] = mapped_column(String(16))
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    audio_seconds: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    disconnected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: a streaming TTS connection's queue, held texts, lease and counts (migration 0009, streaming.tts_state)
    tts_state: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    # the stream on this connection (migration 0005): exactly-once audio in `seq` order (docs/streaming.md)
    session_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resume_token_hash: Mapped[str | None] = mapped_column(String(64))
    next_seq: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    #: frames received ahead of a gap, {seq: base64 audio}; bounded by the protocol (MAX_PENDING_FRAMES)
    pending_frames: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    utterance_open: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    utterance_start_s: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    last_partial: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    usage_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # resume, endpointing, translation, latency and limits (migration 0007)
    #: the connection this one took the session over from (a resumed stream)
    resumed_from: Mapped[str | None] = mapped_column(String(128))
    #: the Triton sequence of the session (the first connection's sequence_id; None: this row's own)
    stream_sequence_id: Mapped[int | None] = mapped_column(BigInteger)
    #: the session's audio seconds already recorded by the connections before this one
    recorded_audio_seconds: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    endpointing_ms: Mapped[int | None] = mapped_column(Integer)
    trailing_silence_s: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    utterance_has_speech: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    translate_to: Mapped[str | None] = mapped_column(String(16))
    #: false: applied frames are answered with `ack`, not `partial` (migration 0010)
    interim_results: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    #: the session's partial latencies as a histogram {bucket: count} (speech_core.streaming.latency)
    partial_latency_ms: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    last_audio_at: Mapped[float | None] = mapped_column(Float)
    rate_window_start: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    rate_window_frames: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    #: the index of the session's current utterance (migration 0011)
    utterance_index: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    __table_args__ = (Index("ix_websocket_connections_session_id", "session_id"),)


class StreamFinal(Base):
    """An utterance's final computed after its frame was answered (migration 0011): `pending` with the
    utterance's audio, `ready` with the messages to send (the audio cleared); the row is deleted once they
    reached the client, and swept when its session can no longer be resumed (migration 0012)."""

    __tablename__ = "stream_finals"
    __table_args__ = (CheckConstraint("status IN ('pending', 'ready', 'delivered')", name="ck_stream_finals_status"),)

    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    utterance: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    start_s: Mapped[float] = mapped_column(Float, nullable=False)
    end_s: Mapped[float] = mapped_column(Float, nullable=False)
    ack: Mapped[int] = mapped_column(Integer, nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    translate_to: Mapped[str | None] = mapped_column(String(16))
    #: the utterance's pcm_s16le samples while pending (cleared once the final is computed)
    audio: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: the answers, as JSON text frames (final, translation or error)
    messages: Mapped[list] = mapped_column(JSONB, nullable=False, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    #: while pending: until when its own invocation may still compute it (then any invocation of the session may)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UsageDaily(Base):
    """Usage aggregated per tenant, API key, UTC day and task; incremented by upsert. `api_key_id` is NULL for
    usage no key made (S3-drop jobs): one such row per tenant, day and task (migration 0008)."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        Index(
            "uq_usage_daily_tenant_key_day_task",
            "tenant_id",
            "api_key_id",
            "day",
            "task",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    task: Mapped[str] = mapped_column(String(32), nullable=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    requests: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    errors: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    audio_seconds: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    characters: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class RateWindow(Base):
    """Requests counted per API key in fixed minute, hour and day windows (the per-key rate limiter)."""

    __tablename__ = "rate_windows"

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    span: Mapped[str] = mapped_column(String(8), primary_key=True)  # minute | hour | day
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
