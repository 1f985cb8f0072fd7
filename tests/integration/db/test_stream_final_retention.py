"""Streaming finals against a real PostgreSQL: a final whose invocation died is taken over once its claim expires
(exactly once, under its row lock), a delivered final leaves no row, and the sweep deletes the finals of sessions
nobody can resume or stop any more (docs/streaming.md, "Finals")."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, update

from speech_core.db.engine import get_sessions
from speech_core.db.records import ConnectionState, FinalStatus, StreamFinalRecord
from speech_core.db.repositories.streams import SqlStreamStore
from speech_core.db.tables import StreamFinal, WebSocketConnection
from speech_core.streaming import utterance_finals
from speech_core.streaming.utterance_finals import FINALS_RETENTION_S, push_ready_finals

PCM = b"\x10\x00" * 160  # 10 ms of a pending utterance's audio


class RecordingPush:
    """What reached each connection (the local gateway's @connections is not under test here)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, connection_id: str, messages: list[str]) -> bool:
        self.sent += [(connection_id, m) for m in messages]
        return True


def _final(
    session_id: uuid.UUID, utterance: int, claimed_until: datetime | None, audio: bytes = b""
) -> StreamFinalRecord:
    # an empty utterance: its final is computed without a model call (the race is the database's, not Triton's)
    return StreamFinalRecord(
        session_id=session_id,
        utterance=utterance,
        status=FinalStatus.PENDING,
        start_s=0.0,
        end_s=0.5,
        ack=utterance,
        language="en",
        audio=audio,
        claimed_until=claimed_until,
    )


def _session(
    store: SqlStreamStore,
    tenant_id: uuid.UUID,
    *finals: StreamFinalRecord,
    state: ConnectionState = ConnectionState.STREAMING,
    session_id: uuid.UUID | None = None,
) -> tuple[str, uuid.UUID]:
    """A connection streaming a session whose frame left `finals` pending (committed with the frame)."""
    connection, session_id = f"c-{uuid.uuid4().hex}", session_id or uuid.uuid4()
    store.open(connection, tenant_id, None)
    with store.locked(connection) as row:
        assert row is not None
        row.session_id, row.state = session_id, state
        row.new_finals = [f.model_copy(update={"session_id": session_id}) for f in finals]
    return connection, session_id


def _rows(database_url: str, session_id: uuid.UUID) -> list[Any]:
    with get_sessions(database_url)() as session:
        return list(session.scalars(select(StreamFinal).where(StreamFinal.session_id == session_id)))


def test_an_expired_claim_is_taken_over_once_while_racing_invocations_pass_over_it(
    store, tenant_id, database_url, monkeypatch
):
    expired = datetime.now(UTC) - timedelta(seconds=1)
    connection, session_id = _session(store, tenant_id, _final(uuid.uuid4(), 0, expired))
    (row,) = _rows(database_url, session_id)
    assert row.claimed_until == expired  # the claim is stored with the pending final
    deps, computed = SimpleNamespace(store=store, push=RecordingPush()), []
    inside, other_pass_done = threading.Event(), threading.Event()
    compute = utterance_finals._compute

    def held_compute(record: StreamFinalRecord, tenant: uuid.UUID, deps: Any) -> None:
        computed.append(record.utterance)
        inside.set()
        assert other_pass_done.wait(10)  # the other invocation's pass runs while this one computes it
        compute(record, tenant, deps)

    monkeypatch.setattr(utterance_finals, "_compute", held_compute)
    # Given the invocation that ended utterance 0 died: its claim expired, its final pending
    # When two later invocations of the session pass over it at once
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(push_ready_finals, session_id, deps)
        assert inside.wait(10)
        push_ready_finals(session_id, deps)
        other_pass_done.set()
        first.result(timeout=10)
    # Then one computed it and it reached the client once; delivered, it left no row
    assert computed == [0]
    ((to, message),) = deps.push.sent
    assert to == connection and '"utterance":0' in message and '"type":"final"' in message
    assert _rows(database_url, session_id) == [] and store.undelivered_finals(session_id) == []


def test_a_final_whose_claim_holds_is_left_to_its_invocation(store, tenant_id, database_url):
    # Given a pending final whose invocation may still be computing it (claimed for the function's timeout)
    live = datetime.now(UTC) + timedelta(seconds=utterance_finals.FINAL_CLAIM_S)
    _, session_id = _session(store, tenant_id, _final(uuid.uuid4(), 0, live, audio=PCM))
    deps = SimpleNamespace(store=store, push=RecordingPush())
    # When another invocation's pass runs, Then it neither computes nor sends it: the audio waits for its owner
    push_ready_finals(session_id, deps)
    assert not deps.push.sent
    (row,) = _rows(database_url, session_id)
    assert (row.status, row.audio) == (FinalStatus.PENDING.value, PCM)


def test_a_computed_final_keeps_no_audio_while_it_waits_for_its_connection(store, tenant_id, database_url):
    # Given a detached session (no connection to push to) with an orphaned pending final
    expired = datetime.now(UTC) - timedelta(seconds=1)
    _, session_id = _session(store, tenant_id, _final(uuid.uuid4(), 0, expired), state=ConnectionState.DETACHED)
    # When a pass takes it over, Then the final is computed and kept for the resume, without its audio
    push_ready_finals(session_id, SimpleNamespace(store=store, push=RecordingPush()))
    (row,) = _rows(database_url, session_id)
    assert row.status == FinalStatus.READY.value and row.audio is None and len(row.messages) == 1


def _silent_for(database_url: str, connection: str, session_id: uuid.UUID, seconds: float, *, dropped: bool) -> None:
    """The connection (and its session's finals) as if last heard from `seconds` ago."""
    ago = func.now() - timedelta(seconds=seconds)
    with get_sessions(database_url).begin() as session:
        session.execute(
            update(WebSocketConnection)
            .where(WebSocketConnection.connection_id == connection)
            .values(last_seen_at=ago, disconnected_at=ago if dropped else None)
        )
        session.execute(update(StreamFinal).where(StreamFinal.session_id == session_id).values(created_at=ago))


def test_the_sweep_deletes_the_finals_of_sessions_nobody_can_resume_or_stop(store, tenant_id, database_url):
    stale = FINALS_RETENTION_S + 5
    claim = datetime.now(UTC)
    # Given a live session, one detached within the resume window, and three dead ones: detached long ago, stopped
    # and closed long ago, and one whose connection vanished without a $disconnect (a crash: still `streaming`)
    _, live = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim, audio=PCM))
    c, resumable = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim), state=ConnectionState.DETACHED)
    _silent_for(database_url, c, resumable, 20, dropped=True)
    c, detached = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim), state=ConnectionState.DETACHED)
    _silent_for(database_url, c, detached, stale, dropped=True)
    c, closed = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim), state=ConnectionState.CLOSED)
    _silent_for(database_url, c, closed, stale, dropped=True)
    c, crashed = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim, PCM), _final(uuid.uuid4(), 1, claim))
    _silent_for(database_url, c, crashed, stale, dropped=False)
    # and a dead session's final another transaction holds
    c, held = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim), state=ConnectionState.DETACHED)
    _silent_for(database_url, c, held, stale, dropped=True)
    # When the sweep runs
    with store.locked_final(held, 0, wait=False) as holding:
        assert holding is not None
        swept = store.sweep_finals(FINALS_RETENTION_S)
    # Then the dead sessions' finals are gone, audio and all, and the held one is left for the next sweep
    remaining = {s: len(_rows(database_url, s)) for s in (live, resumable, detached, closed, crashed, held)}
    assert remaining == {live: 1, resumable: 1, detached: 0, closed: 0, crashed: 0, held: 1}
    assert swept >= 4  # the shared database may hold other tests' dead sessions
    store.sweep_finals(FINALS_RETENTION_S)
    assert _rows(database_url, held) == []


def test_a_resumed_session_keeps_its_finals_however_long_its_first_connection_is_gone(store, tenant_id, database_url):
    # Given a session whose first connection dropped long ago and whose resumed connection streams now
    claim = datetime.now(UTC)
    first, session_id = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim), state=ConnectionState.CLOSED)
    _silent_for(database_url, first, session_id, FINALS_RETENTION_S + 5, dropped=True)
    _session(store, tenant_id, session_id=session_id)
    # When the sweep runs, Then its final stays (the resumed connection is heard from)
    store.sweep_finals(FINALS_RETENTION_S)
    assert len(_rows(database_url, session_id)) == 1


def test_a_final_delivered_by_the_frame_that_ended_it_leaves_no_row(store, tenant_id, database_url):
    # Given `stop` ends an utterance and sends its final in the same invocation (delivered before its commit)
    sent = _final(uuid.uuid4(), 0, None).model_copy(
        update={"status": FinalStatus.DELIVERED, "audio": None, "messages": ['{"type": "final"}']}
    )
    # When its frame commits, Then nothing of it is stored, and the one still pending is
    _, session_id = _session(store, tenant_id, sent, _final(uuid.uuid4(), 1, None))
    assert [row.utterance for row in _rows(database_url, session_id)] == [1]


def test_stop_deletes_what_is_left_of_its_sessions_finals_with_its_commit(store, tenant_id, database_url):
    # Given a stream whose connection could not take a computed final, and a detached and a taken-over session
    claim = datetime.now(UTC)
    ready = _final(uuid.uuid4(), 0, claim).model_copy(update={"status": FinalStatus.READY, "audio": None})
    connection, stopped = _session(store, tenant_id, ready)
    detached_connection, detached = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim))
    old_connection, taken_over = _session(store, tenant_id, _final(uuid.uuid4(), 0, claim))
    # When `stop` records the stream's usage (its `end`) and a $disconnect and a resume record theirs
    with store.locked(connection) as state:
        assert state is not None
        state.usage_recorded_at = datetime.now(UTC)
    with store.locked(detached_connection) as state:
        assert state is not None
        state.usage_recorded_at, state.state = datetime.now(UTC), ConnectionState.DETACHED
    with store.locked(old_connection) as state:
        assert state is not None
        state.usage_recorded_at, state.state = datetime.now(UTC), ConnectionState.CLOSED
    # Then the stopped stream's finals are gone (it can never be resumed), the others' kept for their resume
    assert _rows(database_url, stopped) == []
    assert len(_rows(database_url, detached)) == 1 and len(_rows(database_url, taken_over)) == 1


def test_a_failed_stop_keeps_the_finals(store, tenant_id, database_url):
    connection, session_id = _session(store, tenant_id, _final(uuid.uuid4(), 0, datetime.now(UTC)))
    # When `stop` fails after recording the usage (its transaction rolls back), Then the final stays for its retry
    with pytest.raises(RuntimeError), store.locked(connection) as state:
        assert state is not None
        state.usage_recorded_at = datetime.now(UTC)
        raise RuntimeError("the request log is unavailable")
    assert len(_rows(database_url, session_id)) == 1
