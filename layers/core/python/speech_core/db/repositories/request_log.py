from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import NewResult, RequestLogEntry, RequestLogRecord
from speech_core.db.repositories.results import result_row
from speech_core.db.tables import RequestLog, UsageDaily


class SqlRequestLogRepository:
    """Writes the request log, the daily usage counters and the call's results in one transaction, so usage
    can never drift from the log. Idempotent on request_id: a retried write neither duplicates nor
    double-counts."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, entry: RequestLogEntry, results: Sequence[NewResult] = ()) -> bool:
        """Returns False when this request_id was already recorded."""
        values = entry.model_dump(exclude_none=True)
        with self._sessions.begin() as session:
            inserted = session.execute(
                insert(RequestLog)
                .values(**values)
                .on_conflict_do_nothing(index_elements=[RequestLog.request_id])
                .returning(RequestLog.created_at)
            ).first()
            if inserted is None:
                return False
            # usage no key made (an S3-drop job) is counted too: the tenant's keyless row (api_key_id NULL;
            # the unique index holds NULLs equal, so the upsert finds it)
            is_error = 1 if entry.status >= 400 else 0
            upsert = insert(UsageDaily).values(
                api_key_id=entry.api_key_id,
                day=inserted.created_at.date(),
                task=entry.task,
                tenant_id=entry.tenant_id,
                requests=1,
                errors=is_error,
                audio_seconds=entry.audio_seconds,
                characters=entry.characters,
            )
            session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[UsageDaily.tenant_id, UsageDaily.api_key_id, UsageDaily.day, UsageDaily.task],
                    set_={
                        "requests": UsageDaily.requests + 1,
                        "errors": UsageDaily.errors + is_error,
                        "audio_seconds": UsageDaily.audio_seconds + entry.audio_seconds,
                        "characters": UsageDaily.characters + entry.characters,
                    },
                )
            )
            session.add_all(result_row(result) for result in results)
            return True

    def list_for_tenant(self, tenant_id: uuid.UUID, limit: int = 100) -> list[RequestLogRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(RequestLog)
                .where(RequestLog.tenant_id == tenant_id)
                .order_by(RequestLog.created_at.desc(), RequestLog.id.desc())
                .limit(limit)
            )
            return [RequestLogRecord.model_validate(row) for row in rows]
