from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import NewResult, ResultRecord
from speech_core.db.tables import Result


def result_row(result: NewResult) -> Result:
    return Result(
        **result.model_dump(mode="json", exclude={"tenant_id", "job_id"}),
        tenant_id=result.tenant_id,
        job_id=result.job_id,
    )


class SqlResultRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, result: NewResult) -> ResultRecord:
        with self._sessions.begin() as session:
            row = result_row(result)
            session.add(row)
            session.flush()
            session.refresh(row)
            return ResultRecord.model_validate(row)

    def for_request(self, tenant_id: uuid.UUID, request_id: str) -> list[ResultRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Result)
                .where(Result.tenant_id == tenant_id, Result.request_id == request_id)
                .order_by(Result.created_at)
            )
            return [ResultRecord.model_validate(row) for row in rows]

    def for_job(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> list[ResultRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Result).where(Result.tenant_id == tenant_id, Result.job_id == job_id).order_by(Result.created_at)
            )
            return [ResultRecord.model_validate(row) for row in rows]
