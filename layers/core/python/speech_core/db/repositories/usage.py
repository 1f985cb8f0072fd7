from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import UsageRecord
from speech_core.db.tables import RequestLog, UsageDaily


class SqlUsageRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def daily_for_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, since: date) -> list[UsageRecord]:
        """Usage rows of one key, only if the key belongs to `tenant_id`."""
        with self._sessions() as session:
            rows = session.scalars(
                select(UsageDaily)
                .where(UsageDaily.tenant_id == tenant_id, UsageDaily.api_key_id == key_id, UsageDaily.day >= since)
                .order_by(UsageDaily.day, UsageDaily.task)
            )
            return [UsageRecord.model_validate(row) for row in rows]

    def daily_without_key(self, tenant_id: uuid.UUID, since: date) -> list[UsageRecord]:
        """The tenant's usage no key made (S3-drop jobs), by day and task."""
        with self._sessions() as session:
            rows = session.scalars(
                select(UsageDaily)
                .where(UsageDaily.tenant_id == tenant_id, UsageDaily.api_key_id.is_(None), UsageDaily.day >= since)
                .order_by(UsageDaily.day, UsageDaily.task)
            )
            return [UsageRecord.model_validate(row) for row in rows]

    def requests_since(self, key_id: uuid.UUID, since: datetime) -> int:
        with self._sessions() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(RequestLog)
                    .where(RequestLog.api_key_id == key_id, RequestLog.created_at >= since)
                )
                or 0
            )
