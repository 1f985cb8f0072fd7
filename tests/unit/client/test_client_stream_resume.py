"""The streaming client against a fake WebSocket server (in-process, websockets' own server) that speaks the
protocol of docs/streaming.md and drops connections on purpose: the client resumes with the session's token and
last ack and resends what was not applied, so every frame is applied exactly once, in order."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from speech_client import End, Final, Partial, PermissionDeniedError, StreamError, streaming
from speech_client.streaming import AudioStream


@dataclass
class FakeStreamServer:
    #: drop the connection (no close frame) right after applying these seqs, once each
    drop_after: set[int] = field(default_factory=set)
    #: answer these seqs once with this error code instead of applying them
    refuse_once: dict[int, str] = field(default_factory=dict)
    #: these seqs vanish once, unanswered (an invocation that failed without an answer)
    lose_once: set[int] = field(default_factory=set)
    #: answer the first `stop` with this error code (no seq) instead of carrying it out
    refuse_stop_once: str | None = None
    applied: list[int] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    hellos: list[dict[str, Any]] = field(default_factory=list)
    ack: int = -1
    #: a `stop` whose `lastSeq` frame is not applied yet: carried out when it is (docs/streaming.md)
    held_stop: int | None = None
    stops: list[dict[str, Any]] = field(default_factory=list)

    def frame(self, **fields: Any) -> str:
        return json.dumps({"ack": self.ack, **fields})

    async def handler(self, socket: ServerConnection) -> None:
        async for text in socket:
            message = json.loads(text)
            action = message["action"]
            if action in ("start", "resume"):
                self.hellos.append(message)
                if action == "resume" and message["resumeToken"] != "token-1":
                    await socket.send(self.frame(type="error", code="stream.resume_refused", message="bad token"))
                    continue
                limits = {"maxFramesPerSecond": 200, "resumeWindowSeconds": 5}
                ready = {"sessionId": "s-1", "resumeToken": "token-1", "limits": limits, "resumed": action == "resume"}
                await socket.send(self.frame(type="ready", **ready))
            elif action == "audio":
                seq = message["seq"]
                if seq in self.lose_once:
                    self.lose_once.discard(seq)
                elif seq in self.refuse_once:
                    code = self.refuse_once.pop(seq)
                    await socket.send(self.frame(type="error", code=code, message="refused", seq=seq))
                elif seq > self.ack:
                    self.held.add(seq)  # a frame ahead of a gap is held until the missing one comes
                    while self.ack + 1 in self.held:
                        self.held.discard(self.ack + 1)
                        self.ack += 1
                        self.applied.append(self.ack)
                    await socket.send(self.frame(type="partial", text=f"{len(self.applied)} frames", stable=""))
                    if self.drop_after & set(self.applied):
                        self.drop_after -= set(self.applied)
                        socket.transport.abort()  # a dropped connection: no close frame
                        return
                    if self.held_stop is not None and self.held_stop <= self.ack:
                        await self.stop(socket)
                # a duplicate (seq <= ack) is ignored
            elif action == "stop":
                self.stops.append(message)
                if self.refuse_stop_once:
                    await socket.send(self.frame(type="error", code=self.refuse_stop_once, message="refused"))
                    self.refuse_stop_once = None
                elif message.get("lastSeq", -1) > self.ack:
                    self.held_stop = message["lastSeq"]
                else:
                    await self.stop(socket)

    async def stop(self, socket: ServerConnection) -> None:
        await socket.send(self.frame(type="final", text=f"{len(self.applied)} frames", words=[]))
        await socket.send(self.frame(type="end", audioSeconds=len(self.applied) * 0.25, billedSeconds=1.0))


async def run_stream(server: FakeStreamServer, frames: list[bytes], **options: Any) -> tuple[list[Any], AudioStream]:
    async def refuse_bad_key(connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("x-api-key") != "spk_ok":
            return connection.respond(403, "Forbidden\n")
        return None

    async with serve(server.handler, "127.0.0.1", 0, process_request=refuse_bad_key) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        stream = AudioStream(f"ws://127.0.0.1:{port}", options.pop("key", "spk_ok"), frames, "en", **options)
        events = [event async for event in stream]
        return events, stream


FRAMES = [bytes([i]) * 800 for i in range(12)]


def test_a_dropped_connection_is_resumed_and_every_frame_applied_once_in_order():
    # Given a server that drops the connection twice mid-stream
    server = FakeStreamServer(drop_after={3, 8})
    # When the client streams 12 frames
    events, stream = asyncio.run(run_stream(server, FRAMES))
    # Then it resumed twice with the session id, token and last ack, and each frame was applied exactly once
    assert stream.resumes == 2 and stream.session_id == "s-1"
    assert [h["action"] for h in server.hellos] == ["start", "resume", "resume"]
    assert server.hellos[1]["sessionId"] == "s-1" and server.hellos[1]["resumeToken"] == "token-1"
    assert server.hellos[1]["lastAck"] == 3
    assert server.applied == list(range(12))
    assert server.stops == [{"action": "stop", "lastSeq": 11}]  # sent once, on the last connection
    # And the events end with the final over all frames and `end`
    assert isinstance(events[-1], End) and events[-1].audio_seconds == 3.0
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.text for f in finals] == ["12 frames"]
    assert any(isinstance(e, Partial) for e in events)


def test_a_frame_refused_for_a_passing_reason_is_resent():
    server = FakeStreamServer(refuse_once={2: "model.unavailable", 5: "stream.gap"})
    events, _ = asyncio.run(run_stream(server, FRAMES))
    assert server.applied == list(range(12)) and isinstance(events[-1], End)


def test_stop_goes_out_with_the_last_frames_seq_and_is_carried_out_once_that_frame_is_applied():
    # Given frame 10 is refused once: frame 11 and `stop` (lastSeq 11) reach the server before its resend
    server = FakeStreamServer(refuse_once={10: "model.unavailable"})
    events, _ = asyncio.run(run_stream(server, FRAMES))
    # Then the stop waited for frames 10 and 11: the final covers all twelve
    assert server.stops == [{"action": "stop", "lastSeq": 11}]
    assert server.applied == list(range(12)) and [e.text for e in events if isinstance(e, Final)] == ["12 frames"]


def test_a_frame_lost_without_an_answer_is_resent_when_the_acks_stop_coming(monkeypatch):
    monkeypatch.setattr(streaming, "DRAIN_TIMEOUT_S", 0.2)
    # Given frame 11 vanishes once: the server holds `stop` (lastSeq 11) and nothing more would come
    server = FakeStreamServer(lose_once={11})
    events, _ = asyncio.run(run_stream(server, FRAMES))
    # Then the client resent the unacknowledged frame and the stop, and the stream ended with every frame
    assert server.applied == list(range(12)) and isinstance(events[-1], End)
    assert [stop["lastSeq"] for stop in server.stops] == [11, 11]


@pytest.mark.parametrize("code", ["stream.gap", "model.timeout"])
def test_a_stop_refused_for_a_passing_reason_is_sent_again(code: str):
    server = FakeStreamServer(refuse_stop_once=code)
    events, _ = asyncio.run(run_stream(server, FRAMES))
    assert len(server.stops) == 2 and isinstance(events[-1], End) and server.applied == list(range(12))


def test_a_refusal_that_a_resend_cannot_cure_ends_the_stream_with_its_code():
    server = FakeStreamServer(refuse_once={1: "audio.too_large"})
    with pytest.raises(StreamError) as raised:
        asyncio.run(run_stream(server, FRAMES))
    assert raised.value.code == "audio.too_large" and raised.value.seq == 1


def test_a_refused_key_is_a_permission_error_before_any_audio():
    server = FakeStreamServer()
    with pytest.raises(PermissionDeniedError):
        asyncio.run(run_stream(server, FRAMES, key="spk_bad"))
    assert server.applied == []


def test_an_async_source_is_streamed_too():
    async def microphone():
        for frame in FRAMES[:4]:
            await asyncio.sleep(0)
            yield frame

    server = FakeStreamServer(drop_after={1})
    events, stream = asyncio.run(run_stream(server, microphone()))  # type: ignore[arg-type]
    assert server.applied == [0, 1, 2, 3] and stream.resumes == 1 and isinstance(events[-1], End)
