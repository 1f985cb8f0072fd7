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
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, func, select, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import ConnectionState, FinalStatus, StreamFinalRecord, StreamState
from speech_core.db.tables import StreamFinal, WebSocketConnection
from speech_core.errors import ErrorCode, InferenceError

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
    "utterance_index",
)
#: how long `stop` (or a later final) waits for a final another invocation is computing (its row lock): with the
#: final it then computes itself (a few seconds for a 15 s utterance) it fits the stream function's 29 s timeout
FINAL_LOCK_TIMEOUT_MS = 15_000


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

    def session_connection(self, session_id: uuid.UUID) -> StreamState | None:
        """The connection that holds a session now (not closed; DETACHED while none does), without a lock."""
        with self._sessions() as session:
            row = session.scalar(
                select(WebSocketConnection)
                .where(
                    WebSocketConnection.session_id == session_id,
                    WebSocketConnection.state != ConnectionState.CLOSED.value,
                )
                .limit(1)
            )
            return StreamState.model_validate(row) if row else None

    def undelivered_finals(self, session_id: uuid.UUID) -> list[int]:
        """The session's utterances whose final has not reached the client, in order."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(StreamFinal.utterance)
                    .where(StreamFinal.session_id == session_id, StreamFinal.status != FinalStatus.DELIVERED.value)
                    .order_by(StreamFinal.utterance)
                )
            )

    @contextmanager
    def locked_final(self, session_id: uuid.UUID, utterance: int, *, wait: bool) -> Iterator[StreamFinalRecord | None]:
        """One final under its row lock, written back when the block ends; a final marked `delivered` is deleted
        instead (its text has reached the client: nothing of it is needed any more). `wait`: block while another
        invocation holds it (up to FINAL_LOCK_TIMEOUT_MS, then model.timeout); else None when it is held."""
        with self._sessions.begin() as session:
            query = select(StreamFinal).where(StreamFinal.session_id == session_id, StreamFinal.utterance == utterance)
            if wait:
                session.execute(text(f"SET LOCAL lock_timeout = '{FINAL_LOCK_TIMEOUT_MS}ms'"))
                try:
                    row = session.scalar(query.with_for_update())
                except OperationalError as error:  # lock_timeout: another invocation is still computing it
                    raise InferenceError(
                        ErrorCode.MODEL_TIMEOUT,
                        f"utterance {utterance}'s final is still being computed; send `stop` again",
                        details={"utterance": utterance},
                    ) from error
            else:
                row = session.scalar(query.with_for_update(skip_locked=True))
            if row is None:
                yield None
                return
            record = StreamFinalRecord.model_validate(row)
            yield record
            if record.status is FinalStatus.DELIVERED:
                session.delete(row)
                return
            row.status, row.audio, row.messages = record.status.value, record.audio, list(record.messages)
            row.claimed_until = record.claimed_until

    def sweep_finals(self, idle_s: float, limit: int = 1000) -> int:
        """Delete the finals of every session none of whose connections was heard from (a message, or its
        $disconnect) for `idle_s`: nobody can resume or stop it any more, so no final of it can be delivered.
        Rows another invocation holds are left for the next sweep (never waited for); at most `limit` a call.
        Returns how many rows went."""
        cutoff = func.now() - timedelta(seconds=idle_s)
        heard_lately = (
            select(WebSocketConnection.connection_id)
            .where(
                WebSocketConnection.session_id == StreamFinal.session_id,
                func.greatest(WebSocketConnection.last_seen_at, WebSocketConnection.disconnected_at) >= cutoff,
            )
            .exists()
        )
        stale = (
            select(StreamFinal.session_id, StreamFinal.utterance)
            .where(StreamFinal.created_at < cutoff, ~heard_lately)
            .order_by(StreamFinal.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._sessions.begin() as session:
            result = session.execute(
                delete(StreamFinal).where(tuple_(StreamFinal.session_id, StreamFinal.utterance).in_(stale))
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @contextmanager
    def _locked(self, condition: ColumnElement[bool]) -> Iterator[StreamState | None]:
        with self._sessions.begin() as session:
            row = session.scalar(select(WebSocketConnection).where(condition).limit(1).with_for_update())
            if row is None:
                yield None
                return
            state = StreamState.model_validate(row)
            yield state
            ended = _stopped(state) and row.usage_recorded_at is None
            row.last_seen_at = func.now()
            row.partial_latency_ms = {str(bucket): count for bucket, count in sorted(state.partial_latency_ms.items())}
            for name in _WRITABLE:
                setattr(row, name, getattr(state, name))
            # JSON keys are strings; a new dict so SQLAlchemy sees the change
            row.pending_frames = {str(seq): frame.model_dump() for seq, frame in sorted(state.pending_frames.items())}
            if state.state in (ConnectionState.CLOSED, ConnectionState.DETACHED) and row.disconnected_at is None:
                row.disconnected_at = func.now()
            if ended:  # `stop` sent every final before `end`, or its connection is gone and it can never be sent
                session.execute(delete(StreamFinal).where(StreamFinal.session_id == state.session_id))
            else:
                for final in state.new_finals:  # committed with the frame that ended the utterance
                    if final.status is not FinalStatus.DELIVERED:  # one sent already (by `stop`) needs no row
                        session.add(_final_row(final))
            state.new_finals = []


def _stopped(state: StreamState) -> bool:
    """The connection's stream has ended by `stop` (its usage recorded while it streams): a stopped stream is
    never resumed, so nothing of its finals is needed any more. (A detached or taken-over connection's usage is
    recorded too, but it is no longer streaming: its session may go on.)"""
    return (
        state.session_id is not None
        and state.usage_recorded_at is not None
        and state.state is ConnectionState.STREAMING
    )


def _final_row(final: StreamFinalRecord) -> StreamFinal:
    values = final.model_dump()
    values["status"] = final.status.value
    return StreamFinal(**values)
