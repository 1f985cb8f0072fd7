"""In-memory fakes of what the jobs service needs (the same shapes as the ports; the SQL ones are tested
against PostgreSQL in tests/integration/db)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from speech_core.contracts.jobs import JobExecutionInput
from speech_core.db.records import (
    ChunkState,
    ChunkWord,
    JobChunkRecord,
    JobCursor,
    JobPage,
    JobRecord,
    JobState,
    NewJob,
    NewJobChunk,
)
from speech_core.db.repositories.jobs import ALLOWED_FROM, RETRYABLE
from speech_core.errors import ErrorCode, RequestError
from speech_core.inference import load_packaged_registry
from speech_core.services.job_dependencies import StaticJobServiceDeps
from speech_core.settings import JobLimits, StorageSettings
from speech_core.storage.object_store import ObjectInfo, ObjectTooLarge

_EPOCH = datetime(2026, 11, 30, tzinfo=UTC)


@dataclass
class FakeJobs:
    rows: dict[uuid.UUID, JobRecord] = field(default_factory=dict)

    def create(self, job: NewJob) -> tuple[JobRecord, bool]:
        for row in self.rows.values():
            if row.tenant_id == job.tenant_id and row.idempotency_key == job.idempotency_key:
                return row, False
        now = _EPOCH + timedelta(seconds=len(self.rows))
        row = JobRecord(
            **job.model_dump(),
            id=uuid.uuid4(),
            state=JobState.QUEUED,
            progress=0.0,
            outputs={},
            error_code=None,
            error_message=None,
            execution_arn=None,
            audio_seconds_total=None,
            audio_seconds_done=0.0,
            chunks_total=None,
            chunks_done=0,
            billed_audio_seconds=None,
            attempt=1,
            created_at=now,
            updated_at=now,
            started_at=None,
            finished_at=None,
        )
        self.rows[row.id] = row
        return row, True

    def get(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRecord | None:
        row = self.rows.get(job_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    def list_for_tenant(self, tenant_id: uuid.UUID, limit: int = 50) -> list[JobRecord]:
        return self.list_page(tenant_id, limit=limit).jobs

    def list_page(
        self, tenant_id: uuid.UUID, *, limit: int = 50, state: JobState | None = None, after: JobCursor | None = None
    ) -> JobPage:
        rows = sorted(
            (r for r in self.rows.values() if r.tenant_id == tenant_id and (state is None or r.state is state)),
            key=lambda r: (r.created_at, r.id),
            reverse=True,
        )
        if after is not None:
            rows = [r for r in rows if (r.created_at, r.id) < (after.created_at, after.job_id)]
        if len(rows) <= limit:
            return JobPage(jobs=rows)
        last = rows[limit - 1]
        return JobPage(jobs=rows[:limit], next_after=JobCursor(created_at=last.created_at, job_id=last.id))

    def set(self, job_id: uuid.UUID, **changes: Any) -> JobRecord:
        row = self.rows[job_id].model_copy(update=changes)
        self.rows[job_id] = row
        return row

    def transition(self, job_id: uuid.UUID, state: JobState, **changes: Any) -> JobRecord:
        row = self.rows.get(job_id)
        if row is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no job")
        if row.state not in ALLOWED_FROM[state]:
            raise RequestError(ErrorCode.JOB_ALREADY_FINISHED, f"job is {row.state}")
        return self.set(job_id, state=state, **changes)

    def retry(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRecord:
        row = self.get(tenant_id, job_id)
        if row is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no job")
        if row.state not in RETRYABLE:
            raise RequestError(ErrorCode.JOB_NOT_RETRYABLE, f"job is {row.state}")
        return self.set(job_id, state=JobState.QUEUED, attempt=row.attempt + 1, error_code=None, error_message=None)

    def delete(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> bool:
        if self.get(tenant_id, job_id) is None:
            return False
        del self.rows[job_id]
        return True


@dataclass
class FakeChunks:
    rows: dict[tuple[uuid.UUID, int], JobChunkRecord] = field(default_factory=dict)

    def put_chunks(self, job_id: uuid.UUID, chunks: list[NewJobChunk]) -> list[JobChunkRecord]:
        for chunk in chunks:
            self.rows.setdefault(
                (job_id, chunk.index),
                JobChunkRecord(
                    **chunk.model_dump(),
                    job_id=job_id,
                    state=ChunkState.PENDING,
                    transcript=None,
                    words=None,
                    model_version=None,
                    attempts=0,
                    error_code=None,
                    error_message=None,
                    updated_at=_EPOCH,
                ),
            )
        return self.list_chunks(job_id)

    def list_chunks(self, job_id: uuid.UUID, state: ChunkState | None = None) -> list[JobChunkRecord]:
        return sorted(
            (c for (j, _), c in self.rows.items() if j == job_id and (state is None or c.state is state)),
            key=lambda c: c.index,
        )

    def mark_done(self, job_id: uuid.UUID, index: int, transcript: str, words: list[ChunkWord] | None) -> None:
        row = self.rows[(job_id, index)]
        self.rows[(job_id, index)] = row.model_copy(
            update={"state": ChunkState.DONE, "transcript": transcript, "words": words}
        )


@dataclass
class FakeJobObjects:
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = body

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        data = self.objects.get((bucket, key))
        if data is not None and len(data) > max_bytes:
            raise ObjectTooLarge(len(data))
        return data

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        data = self.objects.get((bucket, key))
        return ObjectInfo(size=len(data)) if data is not None else None

    def delete(self, bucket: str, key: str) -> None:
        self.objects.pop((bucket, key), None)

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        keys = [k for k in self.objects if k[0] == bucket and k[1].startswith(prefix)]
        for k in keys:
            del self.objects[k]
        return len(keys)

    def presigned_get_url(self, bucket: str, key: str, expires_s: int) -> str:
        return f"https://{bucket}.s3.local/{key}?X-Amz-Expires={expires_s}"

    def presigned_put_url(self, bucket: str, key: str, content_type: str, expires_s: int) -> str:
        return f"https://{bucket}.s3.local/{key}?put"


@dataclass
class FakeJobStart:
    sent: list[JobExecutionInput] = field(default_factory=list)

    def send(self, message: JobExecutionInput) -> None:
        self.sent.append(message)


@dataclass
class FakeExecutions:
    stopped: list[str] = field(default_factory=list)

    def stop(self, execution_arn: str, cause: str) -> bool:
        self.stopped.append(execution_arn)
        return True


def fake_job_deps(**overrides: object) -> StaticJobServiceDeps:
    values: dict[str, object] = dict(
        jobs=FakeJobs(),
        job_chunks=FakeChunks(),
        objects=FakeJobObjects(),
        storage=StorageSettings(ingest_bucket="ingest", audio_bucket="audio", results_bucket="results"),
        job_limits=JobLimits(max_audio_seconds=4 * 3600, max_input_bytes=1_000),
        registry=load_packaged_registry("local"),
        job_start=FakeJobStart(),
        executions=FakeExecutions(),
    )
    values.update(overrides)
    return StaticJobServiceDeps(**values)  # type: ignore[arg-type]
