from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import JobRecord, JobState, NewJob
from speech_core.db.tables import Job
from speech_core.errors import ErrorCode, RequestError

#: which states a job may move to a given state from; a final state is never left
ALLOWED_FROM: dict[JobState, tuple[JobState, ...]] = {
    JobState.QUEUED: (),
    JobState.RUNNING: (JobState.QUEUED, JobState.RUNNING),
    JobState.SUCCEEDED: (JobState.QUEUED, JobState.RUNNING),
    JobState.FAILED: (JobState.QUEUED, JobState.RUNNING),
    JobState.CANCELLED: (JobState.QUEUED, JobState.RUNNING),
}
_CHANGEABLE = {"progress", "outputs", "error_code", "error_message", "execution_arn"}


class SqlJobRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, job: NewJob) -> tuple[JobRecord, bool]:
        """Create a job, idempotent on (tenant, idempotency_key): returns (job, created)."""
        with self._sessions.begin() as session:
            new_id = session.scalar(
                insert(Job)
                .values(id=uuid.uuid4(), state=JobState.QUEUED.value, **job.model_dump())
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
        with self._sessions() as session:
            rows = session.scalars(
                select(Job).where(Job.tenant_id == tenant_id).order_by(Job.created_at.desc()).limit(limit)
            )
            return [JobRecord.model_validate(row) for row in rows]

    def transition(self, job_id: uuid.UUID, state: JobState, **changes: Any) -> JobRecord:
        """Move a job to `state` (with progress/outputs/error/execution changes) in one guarded UPDATE.

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
