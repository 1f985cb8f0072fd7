"""The state of streaming TTS connections: the connection row's common columns and its `tts_state` JSON.

Every invocation of a connection reads and changes the row under its lock (`SELECT ... FOR UPDATE`) for a
short block, never while it synthesizes: an invocation that is synthesizing a sentence releases the row, so a
`clear` or more `text` of the same connection (a concurrent invocation in AWS) is applied meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import ConnectionState
from speech_core.db.tables import WebSocketConnection

#: the columns a TTS invocation may change
_WRITABLE = ("state", "task", "source_language", "sample_rate", "session_id", "usage_recorded_at", "tts_state")


class TtsStreamRow(BaseModel):
    """The row as one invocation sees it under the lock (mutable; written back when the block ends)."""

    model_config = ConfigDict(from_attributes=True)

    connection_id: str
    tenant_id: uuid.UUID
    api_key_id: uuid.UUID | None
    state: ConnectionState
    task: str | None
    source_language: str | None
    sample_rate: int | None
    session_id: uuid.UUID | None
    usage_recorded_at: datetime | None
    #: the session's own state (speech_core.streaming.tts_state.TtsState as JSON)
    tts_state: dict[str, Any]


class SqlTtsStreamStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def task_of(self, connection_id: str) -> str | None:
        """The task the connection's stream runs (`asr`, `tts`; None before `start`), without a lock."""
        with self._sessions() as session:
            return session.scalar(
                select(WebSocketConnection.task).where(WebSocketConnection.connection_id == connection_id)
            )

    @contextmanager
    def locked(self, connection_id: str) -> Iterator[TtsStreamRow | None]:
        """The connection under its row lock (None when unknown); what the block changed is written back."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(WebSocketConnection).where(WebSocketConnection.connection_id == connection_id).with_for_update()
            )
            if row is None:
                yield None
                return
            state = TtsStreamRow.model_validate(row)
            yield state
            for name in _WRITABLE:
                value = getattr(state, name)
                setattr(row, name, value.value if isinstance(value, ConnectionState) else value)
            row.tts_state = dict(state.tts_state)  # a new dict, so SQLAlchemy sees the change
            row.last_seen_at = func.now()
            if state.state is ConnectionState.CLOSED and row.disconnected_at is None:
                row.disconnected_at = func.now()
