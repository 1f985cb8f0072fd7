"""The stream state of WebSocket connections, one row lock per frame.

API Gateway may run a connection's invocations concurrently: each frame takes `SELECT ... FOR UPDATE` on its
connection row, so frames of one connection are applied one at a time, in the order the rows are locked,
while other connections go on in parallel. What the frame changed is written back when it commits; an
exception rolls everything back (nothing of a failed frame is half-applied).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import ConnectionState, StreamState
from speech_core.db.tables import WebSocketConnection

#: the columns a frame may change
_WRITABLE = (
    "state",
    "task",
    "source_language",
    "sample_rate",
    "audio_seconds",
    "session_id",
    "resume_token_hash",
    "next_seq",
    "utterance_open",
    "utterance_start_s",
    "last_partial",
    "usage_recorded_at",
    "resumed_from",
    "stream_sequence_id",
    "recorded_audio_seconds",
    "endpointing_ms",
    "trailing_silence_s",
    "utterance_has_speech",
    "translate_to",
    "interim_results",
    "last_audio_at",
    "rate_window_start",
    "rate_window_frames",
)


class SqlStreamStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def open(self, connection_id: str, tenant_id: uuid.UUID, api_key_id: uuid.UUID | None) -> StreamState:
        """The row of a new connection (its database-issued sequence id keys the Triton sequence)."""
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
            return StreamState.model_validate(row)

    def peek(self, connection_id: str) -> StreamState | None:
        """The state without a lock (for an error frame's ack)."""
        with self._sessions() as session:
            row = session.get(WebSocketConnection, connection_id)
            return StreamState.model_validate(row) if row else None

    def count_live_streams(self, api_key_id: uuid.UUID) -> int:
        """Streams of this key started and not yet ended (neither `stop` nor `$disconnect`)."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(WebSocketConnection)
                    .where(
                        WebSocketConnection.api_key_id == api_key_id,
                        WebSocketConnection.session_id.is_not(None),
                        WebSocketConnection.usage_recorded_at.is_(None),
                        WebSocketConnection.state != ConnectionState.CLOSED.value,
                    )
                )
                or 0
            )

    @contextmanager
    def locked(self, connection_id: str) -> Iterator[StreamState | None]:
        """The connection's state under its row lock (None when unknown); written back when the block ends."""
        with self._locked(WebSocketConnection.connection_id == connection_id) as state:
            yield state

    @contextmanager
    def locked_session(self, session_id: uuid.UUID) -> Iterator[StreamState | None]:
        """The row that holds a stream session now (not closed), under its lock; None when there is none."""
        condition = (WebSocketConnection.session_id == session_id) & (
            WebSocketConnection.state != ConnectionState.CLOSED.value
        )
        with self._locked(condition) as state:
            yield state

    @contextmanager
    def _locked(self, condition: ColumnElement[bool]) -> Iterator[StreamState | None]:
        with self._sessions.begin() as session:
            row = session.scalar(select(WebSocketConnection).where(condition).limit(1).with_for_update())
            if row is None:
                yield None
                return
            state = StreamState.model_validate(row)
            yield state
            row.last_seen_at = func.now()
            row.partial_latency_ms = {str(bucket): count for bucket, count in sorted(state.partial_latency_ms.items())}
            for name in _WRITABLE:
                setattr(row, name, getattr(state, name))
            # JSON keys are strings; a new dict so SQLAlchemy sees the change
            row.pending_frames = {str(seq): frame.model_dump() for seq, frame in sorted(state.pending_frames.items())}
            if state.state in (ConnectionState.CLOSED, ConnectionState.DETACHED) and row.disconnected_at is None:
                row.disconnected_at = func.now()
