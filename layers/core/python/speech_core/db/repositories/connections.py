from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import ConnectionRecord, ConnectionState
from speech_core.db.tables import WebSocketConnection
from speech_core.errors import ErrorCode, RequestError


class SqlConnectionRepository:
    """WebSocket connections. Each gets a database-issued sequence id, unique across all function instances,
    which keys the stream's state in Triton's sequence batcher."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def open(self, connection_id: str, tenant_id: uuid.UUID, api_key_id: uuid.UUID | None) -> ConnectionRecord:
        with self._sessions.begin() as session:
            row = WebSocketConnection(
                connection_id=connection_id,
                tenant_id=tenant_id,
                api_key_id=api_key_id,
                state=ConnectionState.OPEN.value,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return ConnectionRecord.model_validate(row)

    def get(self, connection_id: str) -> ConnectionRecord | None:
        with self._sessions() as session:
            row = session.get(WebSocketConnection, connection_id)
            return ConnectionRecord.model_validate(row) if row else None

    def update(
        self,
        connection_id: str,
        *,
        state: ConnectionState | None = None,
        task: str | None = None,
        source_language: str | None = None,
        sample_rate: int | None = None,
        add_audio_seconds: float = 0.0,
    ) -> ConnectionRecord:
        values: dict[str, object] = {"last_seen_at": func.now()}
        for name, value in (
            ("state", state),
            ("task", task),
            ("source_language", source_language),
            ("sample_rate", sample_rate),
        ):
            if value is not None:
                values[name] = value
        if add_audio_seconds:
            values["audio_seconds"] = WebSocketConnection.audio_seconds + add_audio_seconds
        with self._sessions.begin() as session:
            row = session.scalar(
                update(WebSocketConnection)
                .where(
                    WebSocketConnection.connection_id == connection_id,
                    WebSocketConnection.state != ConnectionState.CLOSED.value,
                )
                .values(**values)
                .returning(WebSocketConnection)
            )
            if row is None:
                raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, f"connection {connection_id} is not open")
            return ConnectionRecord.model_validate(row)

    def close(self, connection_id: str) -> ConnectionRecord | None:
        with self._sessions.begin() as session:
            row = session.scalar(
                update(WebSocketConnection)
                .where(WebSocketConnection.connection_id == connection_id)
                .values(
                    state=ConnectionState.CLOSED.value,
                    disconnected_at=func.coalesce(WebSocketConnection.disconnected_at, func.now()),
                )
                .returning(WebSocketConnection)
            )
            return ConnectionRecord.model_validate(row) if row else None

    def list_open_for_tenant(self, tenant_id: uuid.UUID) -> list[ConnectionRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(WebSocketConnection)
                .where(
                    WebSocketConnection.tenant_id == tenant_id,
                    WebSocketConnection.state != ConnectionState.CLOSED.value,
                )
                .order_by(WebSocketConnection.connected_at)
            )
            return [ConnectionRecord.model_validate(row) for row in rows]
