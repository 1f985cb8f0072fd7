"""Jobs: idempotent create, tenant-scoped reads and pages, guarded state transitions, retry and delete."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import JobCursor, JobPage, JobRecord, JobState, NewJob
from speech_core.db.repositories.job_chunks import reset_failed_statement
from speech_core.db.tables import Job
from speech_core.errors import ErrorCode, RequestError

#: which states a job may move to a given state from; a final state is left only by `retry`
ALLOWED_FROM: dict[JobState, tuple[JobState, ...]] = {
    JobState.QUEUED: (),
    JobState.RUNNING: (JobState.QUEUED, JobState.RUNNING),
    JobState.SUCCEEDED: (JobState.QUEUED, JobState.RUNNING),
    JobState.FAILED: (JobState.QUEUED, JobState.RUNNING),
    JobState.CANCELLED: (JobState.QUEUED, JobState.RUNNING),
}
#: the states `retry` moves back to queued
RETRYABLE = (JobState.FAILED, JobState.CANCELLED)
_CHANGEABLE = {
    "progress",
    "outputs",
    "error_code",
    "error_message",
    "execution_arn",
    "audio_seconds_total",
    "chunks_total",
    "billed_audio_seconds",
}


class SqlJobRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, job: NewJob) -> tuple[JobRecord, bool]:
        """Create a job, idempotent on (tenant, idempotency_key): returns (job, created)."""
        with self._sessions.begin() as session:
            new_id = session.scalar(
                insert(Job)
                .values(id=uuid.uuid4(), state=JobState.QUEUED.value, **job.model_dump(mode="json"))
                .on_conflict_do_nothing(constraint="uq_jobs_tenant_idempotency")
                .returning(Job.id)
            )
            row = session.scalar(
                select(Job).where(Job.tenant_id == job.tenant_id, Job.idempotency_key == job.idempotency_key)
            )
            return JobRecord.model_validate(row), new_id is not None

    def get(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRecord | None:
        with self._sessions() as session:
            row = session.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == tenant_id))
            return JobRecord.model_validate(row) if row else None

    def list_for_tenant(self, tenant_id: uuid.UUID, limit: int = 50) -> list[JobRecord]:
        return self.list_page(tenant_id, limit=limit).jobs

    def list_page(
        self,
        tenant_id: uuid.UUID,
        *,
        limit: int = 50,
        state: JobState | None = None,
        after: JobCursor | None = None,
    ) -> JobPage:
        """A page of a tenant's jobs, newest first (keyset pagination on created_at, id), optionally one state."""
        query = select(Job).where(Job.tenant_id == tenant_id)
        if state is not None:
            query = query.where(Job.state == state.value)
        if after is not None:
            query = query.where(tuple_(Job.created_at, Job.id) < tuple_(after.created_at, after.job_id))
        query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)
        with self._sessions() as session:
            rows = [JobRecord.model_validate(row) for row in session.scalars(query)]
        if len(rows) <= limit:
            return JobPage(jobs=rows)
        last = rows[limit - 1]
        return JobPage(jobs=rows[:limit], next_after=JobCursor(created_at=last.created_at, job_id=last.id))

    def transition(self, job_id: uuid.UUID, state: JobState, **changes: Any) -> JobRecord:
        """Move a job to `state` (with progress/outputs/error/execution/totals changes) in one guarded UPDATE.

        Raises RequestError(job.already_finished) when the job is already in a final state, and
        RequestError(resource.not_found) when it does not exist.
        """
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} on a job")
        values: dict[str, Any] = {"state": state.value, "updated_at": func.now(), **changes}
        if state is JobState.RUNNING:
            values["started_at"] = func.coalesce(Job.started_at, func.now())
        if state.is_final:
            values["finished_at"] = func.now()
            if state is JobState.SUCCEEDED:
                values["progress"] = 1.0
        with self._sessions.begin() as session:
            row = session.scalar(
                update(Job)
                .where(Job.id == job_id, Job.state.in_([s.value for s in ALLOWED_FROM[state]]))
                .values(**values)
                .returning(Job)
            )
            if row is not None:
                return JobRecord.model_validate(row)
            current = session.get(Job, job_id)
        if current is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"job {job_id} does not exist")
        raise RequestError(
            ErrorCode.JOB_ALREADY_FINISHED,
            f"job {job_id} is {current.state}; it cannot become {state.value}",
            details={"state": current.state},
        )

    def retry(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRecord:
        """A failed or cancelled job back to queued as its next attempt, in one transaction.

        Chunk rows that are done stay done (the next attempt skips them); failed ones become pending again.
        Raises RequestError(job.not_retryable) for a job in any other state, resource.not_found when absent.
        """
        with self._sessions.begin() as session:
            row = session.scalar(
                update(Job)
                .where(Job.id == job_id, Job.tenant_id == tenant_id, Job.state.in_([s.value for s in RETRYABLE]))
                .values(
                    state=JobState.QUEUED.value,
                    attempt=Job.attempt + 1,
                    error_code=None,
                    error_message=None,
                    execution_arn=None,
                    billed_audio_seconds=None,
                    started_at=None,
                    finished_at=None,
                    updated_at=func.now(),
                )
                .returning(Job)
            )
            if row is not None:
                session.execute(reset_failed_statement(job_id))
                return JobRecord.model_validate(row)
            current = session.scalar(select(Job.state).where(Job.id == job_id, Job.tenant_id == tenant_id))
        if current is None:
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"job {job_id} does not exist")
        raise RequestError(
            ErrorCode.JOB_NOT_RETRYABLE,
            f"job {job_id} is {current}; only a failed or cancelled job can be retried",
            details={"state": current},
        )

    def delete(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> bool:
        """Delete a job row (its chunks and webhook deliveries go with it); False when there was none."""
        with self._sessions.begin() as session:
            gone = session.scalar(delete(Job).where(Job.id == job_id, Job.tenant_id == tenant_id).returning(Job.id))
            return gone is not None
