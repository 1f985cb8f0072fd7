"""Job chunks: idempotent on (job, chunk index); a chunk marked done moves the job's progress in the same
transaction, once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Update, case, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.engine import affected_rows
from speech_core.db.records import JOB_SAMPLE_RATE, ChunkState, ChunkWord, JobChunkRecord, JobState, NewJobChunk
from speech_core.db.tables import Job, JobChunk


class SqlJobChunkRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def put_chunks(self, job_id: uuid.UUID, chunks: Sequence[NewJobChunk]) -> list[JobChunkRecord]:
        """Store a job's chunks; rows that exist (a repeated or retried prepare) are kept as they are.

        Sets `jobs.chunks_total` to the number of chunk rows. Returns every chunk of the job, in order.
        """
        with self._sessions.begin() as session:
            if chunks:
                session.execute(
                    insert(JobChunk)
                    .values([{"job_id": job_id, **chunk.model_dump()} for chunk in chunks])
                    .on_conflict_do_nothing(index_elements=[JobChunk.job_id, JobChunk.index])
                )
            total = select(func.count()).select_from(JobChunk).where(JobChunk.job_id == job_id).scalar_subquery()
            session.execute(update(Job).where(Job.id == job_id).values(chunks_total=total, updated_at=func.now()))
            rows = session.scalars(select(JobChunk).where(JobChunk.job_id == job_id).order_by(JobChunk.index))
            return [JobChunkRecord.model_validate(row) for row in rows]

    def list_chunks(self, job_id: uuid.UUID, state: ChunkState | None = None) -> list[JobChunkRecord]:
        query = select(JobChunk).where(JobChunk.job_id == job_id)
        if state is not None:
            query = query.where(JobChunk.state == state.value)
        with self._sessions() as session:
            return [JobChunkRecord.model_validate(row) for row in session.scalars(query.order_by(JobChunk.index))]

    def get_chunk(self, job_id: uuid.UUID, index: int) -> JobChunkRecord | None:
        with self._sessions() as session:
            row = session.get(JobChunk, (job_id, index))
            return JobChunkRecord.model_validate(row) if row else None

    def mark_chunk_done(
        self,
        job_id: uuid.UUID,
        index: int,
        transcript: str,
        words: Sequence[ChunkWord] | None,
        model_version: str | None,
        *,
        require_running: bool = True,
    ) -> bool:
        """Record a chunk's transcript and move the job's progress, in one transaction.

        True when this call marked the chunk done; False when it was done already (a redelivered message:
        nothing changes, progress is not counted twice), does not exist, or (with `require_running`) its job
        is not running — a cancelled job gets nothing written.
        """
        guard = [JobChunk.job_id == job_id, JobChunk.index == index, JobChunk.state != ChunkState.DONE.value]
        if require_running:
            guard.append(exists().where(Job.id == job_id, Job.state == JobState.RUNNING.value))
        with self._sessions.begin() as session:
            num_samples = session.scalar(
                update(JobChunk)
                .where(*guard)
                .values(
                    state=ChunkState.DONE.value,
                    transcript=transcript,
                    words=[word.model_dump() for word in words] if words is not None else None,
                    model_version=model_version,
                    attempts=JobChunk.attempts + 1,
                    error_code=None,
                    error_message=None,
                    updated_at=func.now(),
                )
                .returning(JobChunk.num_samples)
            )
            if num_samples is None:
                return False
            done_seconds = Job.audio_seconds_done + num_samples / JOB_SAMPLE_RATE
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    chunks_done=Job.chunks_done + 1,
                    audio_seconds_done=done_seconds,
                    progress=_progress(done_seconds),
                    updated_at=func.now(),
                )
            )
            return True

    def mark_chunk_failed(self, job_id: uuid.UUID, index: int, error_code: str, error_message: str) -> bool:
        """Record that a chunk failed (a permanent error or its last try); a done chunk stays done."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(JobChunk)
                .where(JobChunk.job_id == job_id, JobChunk.index == index, JobChunk.state != ChunkState.DONE.value)
                .values(
                    state=ChunkState.FAILED.value,
                    attempts=JobChunk.attempts + 1,
                    error_code=error_code[:64],
                    error_message=error_message,
                    updated_at=func.now(),
                )
            )
            return affected_rows(result) == 1

    def reset_failed_chunks(self, job_id: uuid.UUID) -> int:
        """Failed chunks back to pending (what `retry` does); returns how many."""
        with self._sessions.begin() as session:
            return affected_rows(session.execute(reset_failed_statement(job_id)))


def _progress(done_seconds: Any) -> Any:
    """The job's `progress` fraction once its total is known (kept in [0, 1] for the column's check)."""
    return case(
        (Job.audio_seconds_total > 0, func.least(1.0, done_seconds / Job.audio_seconds_total)),
        else_=Job.progress,
    )


def reset_failed_statement(job_id: uuid.UUID) -> Update:
    """The UPDATE that puts a job's failed chunks back to pending (also run inside `jobs.retry`)."""
    return (
        update(JobChunk)
        .where(JobChunk.job_id == job_id, JobChunk.state == ChunkState.FAILED.value)
        .values(state=ChunkState.PENDING.value, error_code=None, error_message=None, updated_at=func.now())
    )
