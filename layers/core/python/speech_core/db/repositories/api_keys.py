from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.engine import affected_rows
from speech_core.db.records import ApiKeyRecord, NewApiKey, TenantRecord
from speech_core.db.tables import ApiKey, Tenant


class SqlApiKeyRepository:
    """Every read and write of a tenant's keys is filtered by that tenant, except the lookup by prefix that
    authentication needs before it knows the tenant."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, key: NewApiKey) -> ApiKeyRecord:
        with self._sessions.begin() as session:
            row = ApiKey(**key.model_dump())
            session.add(row)
            session.flush()
            session.refresh(row)
            return ApiKeyRecord.model_validate(row)

    def find_by_prefix_with_tenant(self, prefix: str) -> tuple[ApiKeyRecord, TenantRecord] | None:
        """The key and its tenant in one SELECT (one round trip): what every authorizer call reads."""
        with self._sessions() as session:
            row = session.execute(
                select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.prefix == prefix)
            ).first()
            if row is None:
                return None
            return ApiKeyRecord.model_validate(row[0]), TenantRecord.model_validate(row[1])

    def get(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKeyRecord | None:
        with self._sessions() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id))
            return ApiKeyRecord.model_validate(row) if row else None

    def list_for_tenant(self, tenant_id: uuid.UUID) -> list[ApiKeyRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at, ApiKey.name)
            )
            return [ApiKeyRecord.model_validate(row) for row in rows]

    def revoke(self, tenant_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id, ApiKey.revoked.is_(False))
                .values(revoked=True, revoked_at=at)
            )
            return affected_rows(result) == 1

    def set_expiry(self, tenant_id: uuid.UUID, key_id: uuid.UUID, expires_at: datetime) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(
                update(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id).values(expires_at=expires_at)
            )
            return affected_rows(result) == 1

    def touch_last_used(self, key_id: uuid.UUID, at: datetime) -> None:
        with self._sessions.begin() as session:
            session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))
