"""The stream state against a real PostgreSQL: one row lock per frame, written back on commit, rolled back on error."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from speech_core.db.records import ConnectionState, FinalStatus, NewApiKey, PendingFrame, StreamFinalRecord
from speech_core.db.repositories import get_repositories


def test_a_new_connection_has_a_sequence_id_and_an_empty_stream(store, tenant_id):
    first = store.open(f"c-{uuid.uuid4().hex}", tenant_id, None)
    second = store.open(f"c-{uuid.uuid4().hex}", tenant_id, None)
    assert first.sequence_id > 0 and second.sequence_id != first.sequence_id
    assert (first.next_seq, first.pending_frames, first.utterance_open, first.ack) == (0, {}, False, -1)


def test_what_a_frame_changes_is_written_back(store, tenant_id, database_url):
    connection = f"c-{uuid.uuid4().hex}"
    store.open(connection, tenant_id, None)
    with store.locked(connection) as state:
        assert state is not None
        held = {5: PendingFrame(audio="AAAA", received_at=2.0), 4: PendingFrame(audio="BBBB", received_at=1.0)}
        state.next_seq, state.pending_frames, state.utterance_open = 3, held, True
        state.usage_recorded_at = datetime.now(UTC)
        state.state = ConnectionState.CLOSED
    after = store.peek(connection)
    assert after is not None and after.next_seq == 3 and after.ack == 2 and after.utterance_open
    assert after.pending_frames == {4: held[4], 5: held[5]}
    record = get_repositories(database_url).connections.get(connection)
    assert record is not None and record.state is ConnectionState.CLOSED and record.disconnected_at is not None


def test_a_failed_frame_changes_nothing(store, tenant_id):
    connection = f"c-{uuid.uuid4().hex}"
    store.open(connection, tenant_id, None)
    with pytest.raises(RuntimeError), store.locked(connection) as state:
        assert state is not None
        state.next_seq = 7
        raise RuntimeError("the model failed mid-frame")
    assert store.peek(connection).next_seq == 0


def test_concurrent_frames_of_one_connection_are_applied_one_at_a_time(store, tenant_id):
    # Given 8 invocations of one connection running at once (as API Gateway may run them)
    connection = f"c-{uuid.uuid4().hex}"
    store.open(connection, tenant_id, None)

    def frame(_: int) -> None:
        with store.locked(connection) as state:
            assert state is not None
            seen = state.next_seq
            time.sleep(0.05)  # the model call, while the row is held
            state.next_seq = seen + 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(frame, range(8)))
    # Then no update was lost: each read what the one before it wrote
    assert store.peek(connection).next_seq == 8


def test_live_streams_are_counted_per_key_until_they_end(store, tenant_id, database_url):
    repos = get_repositories(database_url)
    key_id = repos.api_keys.add(
        NewApiKey(
            tenant_id=tenant_id,
            name="k",
            prefix=f"spk_{uuid.uuid4().hex[:12]}",
            key_hash=b"\0" * 32,
            scopes=["streaming"],
            rate_per_minute=60,
            rate_per_hour=1000,
            daily_quota=10000,
        )
    ).id
    connections = [f"c-{uuid.uuid4().hex}" for _ in range(3)]
    for connection in connections:
        store.open(connection, tenant_id, key_id)
    assert store.count_live_streams(key_id) == 0  # connected, not started
    for connection in connections:
        with store.locked(connection) as state:
            state.session_id = uuid.uuid4()
    assert store.count_live_streams(key_id) == 3
    with store.locked(connections[0]) as state:
        state.usage_recorded_at = datetime.now(UTC)  # stopped
    with store.locked(connections[1]) as state:
        state.state = ConnectionState.CLOSED  # disconnected
    assert store.count_live_streams(key_id) == 1


def test_an_unknown_connection_is_none(store):
    with store.locked("nobody") as state:
        assert state is None
    assert store.peek("nobody") is None


def test_a_session_is_found_by_its_id_on_the_connection_that_holds_it(store, tenant_id):
    # Given a stream whose session was taken over by a second connection (resume)
    first, second = f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
    session_id = uuid.uuid4()
    store.open(first, tenant_id, None)
    store.open(second, tenant_id, None)
    with store.locked(first) as state:
        assert state is not None
        state.session_id, state.state, state.endpointing_ms, state.translate_to = (
            session_id,
            ConnectionState.DETACHED,
            500,
            "es",
        )
        state.partial_latency_ms = {60: 3, 71: 1}
    with store.locked_session(session_id) as old:
        assert old is not None and old.connection_id == first and old.disconnected_at is not None
        assert (old.endpointing_ms, old.translate_to, old.partial_latency_ms) == (500, "es", {60: 3, 71: 1})
        old.state = ConnectionState.CLOSED
    with store.locked(second) as state:
        assert state is not None
        state.session_id, state.stream_sequence_id, state.resumed_from = session_id, old.sequence_id, first
        state.state = ConnectionState.STREAMING
    # Then the session's row is now the second connection's, which keeps the first one's Triton sequence
    with store.locked_session(session_id) as holder:
        assert holder is not None and holder.connection_id == second and holder.resumed_from == first
        assert holder.triton_sequence_id == old.sequence_id != holder.sequence_id
        assert holder.last_seen_at is not None
    with store.locked_session(uuid.uuid4()) as nobody:
        assert nobody is None


# --- finals computed after the frame's answer (migration 0011) ---------------------------------------------------
def _pending_final(session_id: uuid.UUID, utterance: int) -> StreamFinalRecord:
    return StreamFinalRecord(
        session_id=session_id,
        utterance=utterance,
        status=FinalStatus.PENDING,
        start_s=float(utterance),
        end_s=utterance + 0.5,
        ack=utterance,
        language="en",
        audio=b"\x01\x00" * 8,
    )


def test_a_pending_final_commits_with_its_frame_and_is_taken_once_under_its_lock(store, tenant_id):
    connection, session_id = f"c-{uuid.uuid4().hex}", uuid.uuid4()
    store.open(connection, tenant_id, None)
    # Given a frame that ends two utterances' audio as pending finals, and one whose frame fails
    with store.locked(connection) as state:
        assert state is not None
        state.session_id, state.state, state.utterance_index = session_id, ConnectionState.STREAMING, 2
        state.new_finals = [_pending_final(session_id, 1), _pending_final(session_id, 0)]
    with pytest.raises(RuntimeError), store.locked(connection) as state:
        assert state is not None
        state.new_finals = [_pending_final(session_id, 2)]
        raise RuntimeError("rolled back: no final")
    # Then both are stored in order, with the connection's utterance index
    assert store.undelivered_finals(session_id) == [0, 1]
    assert store.peek(connection).utterance_index == 2
    assert store.session_connection(session_id).connection_id == connection
    # When one invocation holds final 0, Then another skips it (no wait) or times out waiting (model.timeout)
    with store.locked_final(session_id, 0, wait=False) as held:
        assert held is not None and held.audio == b"\x01\x00" * 8

        def other(wait: bool) -> object:
            with store.locked_final(session_id, 0, wait=wait) as record:
                return record

        started = time.monotonic()
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(other, False).result() is None
            assert time.monotonic() - started < 5
        held.status, held.messages, held.audio = FinalStatus.READY, ['{"type": "final"}'], None
    # And what the holder wrote is what the next one reads
    with store.locked_final(session_id, 0, wait=True) as record:
        assert record is not None and record.status is FinalStatus.READY and record.audio is None
        assert record.messages == ['{"type": "final"}']
        record.status = FinalStatus.DELIVERED
    assert store.undelivered_finals(session_id) == [1]


def test_waiting_for_a_final_held_too_long_is_a_model_timeout(store, tenant_id, monkeypatch):
    from speech_core.db.repositories import streams
    from speech_core.errors import ErrorCode, InferenceError

    monkeypatch.setattr(streams, "FINAL_LOCK_TIMEOUT_MS", 300)
    connection, session_id = f"c-{uuid.uuid4().hex}", uuid.uuid4()
    store.open(connection, tenant_id, None)
    with store.locked(connection) as state:
        assert state is not None
        state.session_id, state.new_finals = session_id, [_pending_final(session_id, 0)]
    with store.locked_final(session_id, 0, wait=False) as held, ThreadPoolExecutor(1) as pool:
        assert held is not None

        def wait_for_it() -> None:
            with store.locked_final(session_id, 0, wait=True):
                pass

        with pytest.raises(InferenceError) as caught:
            pool.submit(wait_for_it).result()
    assert caught.value.code is ErrorCode.MODEL_TIMEOUT
    assert store.undelivered_finals(session_id) == [0]
