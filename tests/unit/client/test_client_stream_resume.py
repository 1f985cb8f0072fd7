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

from speech_client import End, Final, Partial, PermissionDeniedError, StreamError
from speech_client.streaming import AudioStream


@dataclass
class FakeStreamServer:
    #: drop the connection (no close frame) right after applying these seqs, once each
    drop_after: set[int] = field(default_factory=set)
    #: answer these seqs once with this error code instead of applying them
    refuse_once: dict[int, str] = field(default_factory=dict)
    applied: list[int] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    hellos: list[dict[str, Any]] = field(default_factory=list)
    ack: int = -1

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
                if seq in self.refuse_once:
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
                # a duplicate (seq <= ack) is ignored
            elif action == "stop":
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
    # And the events end with the final over all frames and `end`
    assert isinstance(events[-1], End) and events[-1].audio_seconds == 3.0
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.text for f in finals] == ["12 frames"]
    assert any(isinstance(e, Partial) for e in events)


def test_a_frame_refused_for_a_passing_reason_is_resent():
    server = FakeStreamServer(refuse_once={2: "model.unavailable", 5: "stream.gap"})
    events, _ = asyncio.run(run_stream(server, FRAMES))
    assert server.applied == list(range(12)) and isinstance(events[-1], End)


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
