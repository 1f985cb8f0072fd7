"""What is said about a job when its state changes: the one payload both the event and the webhook carry."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from speech_core.db.records import JobRecord, JobState

#: EventBridge `source` and `detail-type` of every job event
EVENT_SOURCE = "speech.jobs"
EVENT_DETAIL_TYPE = "Job State Change"
#: fixed namespace of delivery ids: uuid5(namespace, "<job>/<attempt>/<state>")
_DELIVERY_NAMESPACE = uuid.UUID("5b0e0f8e-5a55-4c53-9a57-6a6f62732d31")


class JobStateChange(BaseModel):
    """A job reaching a state. camelCase on the wire (the event's `detail`, the webhook's `data`)."""

    model_config = ConfigDict(frozen=True, defer_build=True, alias_generator=to_camel, populate_by_name=True)

    job_id: uuid.UUID
    tenant_id: uuid.UUID
    state: JobState
    attempt: int = Field(default=1, ge=1)
    occurred_at: datetime
    error_code: str | None = None
    error_message: str | None = None
    audio_seconds_total: float | None = None
    audio_seconds_done: float | None = None
    chunks_total: int | None = None
    chunks_done: int | None = None
    billed_audio_seconds: float | None = None

    @classmethod
    def from_job(cls, job: JobRecord, *, occurred_at: datetime | None = None) -> JobStateChange:
        """The change a job row now shows (its state, progress and error)."""
        return cls(
            job_id=job.id,
            tenant_id=job.tenant_id,
            state=job.state,
            attempt=job.attempt,
            occurred_at=occurred_at or job.finished_at or job.updated_at or datetime.now(UTC),
            error_code=job.error_code,
            error_message=job.error_message,
            audio_seconds_total=job.audio_seconds_total,
            audio_seconds_done=job.audio_seconds_done,
            chunks_total=job.chunks_total,
            chunks_done=job.chunks_done,
            billed_audio_seconds=job.billed_audio_seconds,
        )

    @property
    def delivery_id(self) -> uuid.UUID:
        """The webhook delivery's idempotency id: the same on every try and every redelivery of this change."""
        return uuid.uuid5(_DELIVERY_NAMESPACE, f"{self.job_id}/{self.attempt}/{self.state.value}")

    @property
    def event_type(self) -> str:
        """The webhook's `type`: `job.<state>`."""
        return f"job.{self.state.value}"

    def detail(self) -> dict[str, Any]:
        """The JSON-ready payload: camelCase, absent values left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def webhook_body(self) -> bytes:
        """The webhook's body (Standard Webhooks shape): `{"type", "timestamp", "data"}`, compact UTF-8 JSON."""
        data = self.detail()
        body = {"type": self.event_type, "timestamp": data["occurredAt"], "data": data}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
