"""Settings of the batch functions (validated at cold start, like `speech_core.settings`, whose JobLimits,
JobQueueSettings, WorkflowSettings and NotifySettings the batch functions read too)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BatchSettings(BaseSettings):
    """Chunking and defaults of the batch steps (docs/jobs.md). Defaults hold unless CDK writes BATCH_*."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="BATCH_")

    max_chunk_seconds: float = Field(default=30.0, ge=5, le=60)
    #: the most chunks an inline Map gets in the execution's state; above it `prepare` leaves `chunks` out and
    #: the Distributed Map reads them from S3 (a chunk item is ~55 bytes of the state's 256 KB, and each inline
    #: iteration ~8 of the execution's 25,000 history events, more with retries)
    inline_map_max_chunks: int = Field(default=1000, ge=1, le=2000)
    #: the language of a dropped file with neither object metadata nor a sidecar saying otherwise
    default_language: str = "en"
    #: how often a long step tells the workflow it is alive (well inside the task's HeartbeatSeconds)
    heartbeat_interval_s: float = Field(default=20.0, gt=0)
    #: a model call's deadline in the batch steps: no client waits on them, so a busy model gets longer than the
    #: sync API's 25 s before the call counts as a (transient) model.timeout
    triton_timeout_s: float = Field(default=120.0, gt=0, le=900)


class ConsumerSettings(BaseSettings):
    """What a queue consumer knows of its queue: after how many receives SQS moves a message to the DLQ."""

    model_config = SettingsConfigDict(extra="ignore")

    queue_max_receive_count: int = Field(default=3, ge=1)
