"""A stream's deadlines on the local cloud, kept although the client sends nothing more (the stream-timers queue,
its consumer function, LocalStack's SQS delays, @connections, PostgreSQL and Triton's sequence batcher).

- A frame lost and never resent: the client hears `stream.gap` naming it about MAX_GAP_WAIT_S later, without
  sending another message, and resending it completes the stream.
- A connection dropped and never resumed: at the end of the resume window the stream is closed and its Triton
  sequence ended (Triton itself would keep it until 60 s of idle).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import numpy as np
import pytest
import websockets

from speech_core.contracts.streaming import MAX_GAP_WAIT_S, RESUME_WINDOW_S
from speech_core.db.engine import get_sessions
from speech_core.db.records import ConnectionState
from speech_core.db.repositories.streams import SqlStreamStore
from speech_core.errors import SpeechError
from speech_core.inference import InferenceClient, Task, load_packaged_registry
from speech_core.inference.transport import GrpcTransport
from speech_core.keys import Scope
from tests.e2e import test_streaming as streaming_e2e

pytestmark = pytest.mark.e2e

# the streaming module's fixtures, shared: pytest finds a fixture by its name in the module
goforward_frames = streaming_e2e.goforward_frames
websocket_url = streaming_e2e.websocket_url

TIMEOUT_S = 30


_next = streaming_e2e._collect_until  # read answers until one of the given kinds arrives


def test_a_frame_never_resent_is_reported_as_a_gap_without_another_message(
    local_cloud, websocket_url, make_key, goforward_frames
):
    key = make_key([Scope.STREAMING])

    async def session() -> tuple[float, dict[str, Any], list[dict[str, Any]]]:
        seen: list[dict[str, Any]] = []
        async with websockets.connect(websocket_url, additional_headers={"x-api-key": key}) as socket:
            await socket.send(json.dumps({"action": "start", "language": "en"}))
            await _next(socket, {"ready"}, seen)
            # Given frame 1 is lost on the way: frames 0 and 2 arrive, then the client waits for answers
            await socket.send(json.dumps({"action": "audio", "seq": 0, "audio": goforward_frames[0]}))
            await _next(socket, {"partial"}, seen)
            await socket.send(json.dumps({"action": "audio", "seq": 2, "audio": goforward_frames[2]}))
            held_at = time.monotonic()
            # When it sends nothing more, Then the gap is reported, naming the missing frame
            error = await _next(socket, {"error"}, seen)
            waited = time.monotonic() - held_at
            # And resending it releases the held frame: both applied once, in order, and the stream ends
            await socket.send(json.dumps({"action": "audio", "seq": 1, "audio": goforward_frames[1]}))
            await socket.send(json.dumps({"action": "stop", "lastSeq": 2}))
            await _next(socket, {"end"}, seen)
            return waited, error, seen

    waited, error, seen = asyncio.run(session())
    assert error["code"] == "stream.gap" and error["details"] == {"missingSeq": 1} and error["ack"] == 0, error
    assert "seq" not in error  # no frame of the client's was refused: the held one stays held
    assert MAX_GAP_WAIT_S - 0.5 <= waited <= MAX_GAP_WAIT_S + 10, waited
    (end,) = [m for m in seen if m["type"] == "end"]
    assert end["ack"] == 2 and end["audioSeconds"] == pytest.approx(0.75)
    assert [m["ack"] for m in seen if m["type"] == "partial"][-1] == 2


def _probe(client: InferenceClient, sequence_id: int) -> None:
    """A continuation chunk (no START) on the sequence: Triton refuses it once the sequence has ended."""
    selection = load_packaged_registry("local").select(Task.ASR_STREAMING, key="e2e-probe", language="en")
    session = client.open_stream(selection, "en", sequence_id)
    session.started = True
    session.send(np.zeros(1600, dtype=np.float32))


def test_a_dropped_stream_nobody_resumes_is_closed_and_its_triton_sequence_ended(
    local_cloud, websocket_url, make_key, goforward_frames
):
    key = make_key([Scope.STREAMING])

    async def drop() -> tuple[str, float]:
        seen: list[dict[str, Any]] = []
        socket = await websockets.connect(websocket_url, additional_headers={"x-api-key": key})
        await socket.send(json.dumps({"action": "start", "language": "en"}))
        ready = await _next(socket, {"ready"}, seen)
        for seq in range(4):
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
        while not any(m["type"] == "partial" and m["ack"] == 3 for m in seen):
            await _next(socket, {"partial"}, seen)
        assert socket.transport is not None
        socket.transport.abort()  # the network drops: no close frame, and the client never comes back
        return ready["sessionId"], time.monotonic()

    session_id, dropped_at = asyncio.run(drop())
    store = SqlStreamStore(get_sessions(local_cloud.database_url))
    deadline = time.monotonic() + TIMEOUT_S
    while (row := store.session_connection(uuid.UUID(session_id))) is None or row.state is ConnectionState.STREAMING:
        assert time.monotonic() < deadline, "the drop never reached $disconnect"
        time.sleep(0.2)
    # Given the stream is detached (resumable) and its utterance still open in Triton
    assert row.state is ConnectionState.DETACHED and row.utterance_open
    triton = InferenceClient(GrpcTransport(f"127.0.0.1:{local_cloud.triton_ports[1]}"), timeout_s=30)
    _probe(triton, row.triton_sequence_id)  # the sequence is alive: a continuation is taken
    # When the resume window passes with nobody resuming
    deadline = time.monotonic() + RESUME_WINDOW_S + TIMEOUT_S
    while (current := store.peek(row.connection_id)) is not None and current.state is ConnectionState.DETACHED:
        assert time.monotonic() < deadline, "the detached stream was never closed"
        time.sleep(0.5)
    closed_after = time.monotonic() - dropped_at
    # Then it is closed once the window is over, not before, and Triton no longer holds its sequence
    assert current is not None and current.state is ConnectionState.CLOSED and not current.utterance_open
    assert RESUME_WINDOW_S <= closed_after < 60, closed_after  # before Triton's own 60 s idle would end it
    with pytest.raises(SpeechError):
        _probe(triton, row.triton_sequence_id)
    # And the key's usage holds the stream's 1 s of audio, once
    with local_cloud.client(key) as client:
        (streamed,) = [day for day in client.get("v1/usage").json()["days"] if day["task"] == "streaming"]
    assert streamed["requests"] == 1 and streamed["audioSeconds"] == pytest.approx(1.0, abs=0.001)
