from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.engine import affected_rows
from speech_core.db.records import TenantRecord
from speech_core.db.tables import Tenant
from speech_core.errors import ErrorCode, RequestError


class SqlTenantRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, name: str, display_name: str) -> TenantRecord:
        try:
            with self._sessions.begin() as session:
                tenant = Tenant(name=name, display_name=display_name)
                session.add(tenant)
                session.flush()
                session.refresh(tenant)
                return TenantRecord.model_validate(tenant)
        except IntegrityError as exc:
            raise RequestError(ErrorCode.REQUEST_INVALID, f"tenant {name!r} already exists") from exc

    def get(self, tenant_id: uuid.UUID) -> TenantRecord | None:
        with self._sessions() as session:
            tenant = session.get(Tenant, tenant_id)
            return TenantRecord.model_validate(tenant) if tenant else None

    def get_by_name(self, name: str) -> TenantRecord | None:
        with self._sessions() as session:
            tenant = session.scalar(select(Tenant).where(Tenant.name == name))
            return TenantRecord.model_validate(tenant) if tenant else None

    def set_active(self, tenant_id: uuid.UUID, active: bool) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(update(Tenant).where(Tenant.id == tenant_id).values(active=active))
            return affected_rows(result) == 1

    def update_settings(
        self,
        tenant_id: uuid.UUID,
        *,
        default_language: str | None,
        audio_url_allowed_hosts: list[str],
    ) -> bool:
        """Set the tenant's settings (both at once, as an operator's `admin` command does)."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Tenant)
                .where(Tenant.id == tenant_id)
                .values(default_language=default_language, audio_url_allowed_hosts=audio_url_allowed_hosts)
            )
            return affected_rows(result) == 1
