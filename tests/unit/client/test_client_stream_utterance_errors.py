"""An error frame that stands for an utterance's final (or its translation) does not end the stream
(docs/streaming.md "Finals"): the iterator yields it as an `UtteranceError` and goes on to `end`, and `speech
stream` prints it as a warning; an error frame for no utterance still ends the iteration with a StreamError."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rich.console import Console
from websockets.asyncio.server import ServerConnection, serve

from speech_client import StreamError, UtteranceError, cli
from speech_client.streaming import AudioStream, End, Final, Partial, StreamEvent, parse_event

FRAMES = [bytes([i]) * 800 for i in range(3)]


def failing_final_server(fatal: dict[str, Any] | None = None):
    """Frame 1 ends utterance 0, whose final fails (an error frame with `utterance`); `fatal` is sent instead
    of the partial of frame 2 when given."""

    async def handler(socket: ServerConnection) -> None:
        async for text in socket:
            message = json.loads(text)
            if message["action"] == "start":
                ready = {"sessionId": "s-1", "resumeToken": "t", "limits": {"maxFramesPerSecond": 200}}
                await socket.send(json.dumps({"type": "ready", "ack": -1, **ready}))
            elif message["action"] == "audio":
                seq = message["seq"]
                if seq == 2 and fatal:
                    await socket.send(json.dumps({"type": "error", "ack": 1, **fatal}))
                    continue
                partial = {"type": "partial", "ack": seq, "utterance": int(seq >= 2), "text": f"p{seq}", "stable": ""}
                await socket.send(json.dumps({**partial, "start": 0.0, "end": 0.1 * (seq + 1)}))
                if seq == 1:
                    error = {"code": "model.timeout", "message": "utterance 0's final failed", "utterance": 0}
                    await socket.send(json.dumps({"type": "error", "ack": 1, **error}))
            elif message["action"] == "stop":
                final = {"type": "final", "ack": 2, "utterance": 1, "text": "second", "start": 0.2, "end": 0.3}
                await socket.send(json.dumps({**final, "words": []}))
                await socket.send(json.dumps({"type": "end", "ack": 2, "audioSeconds": 0.3, "billedSeconds": 1.0}))

    return handler


async def stream_events(fatal: dict[str, Any] | None = None) -> list[StreamEvent]:
    async with serve(failing_final_server(fatal), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        return [event async for event in AudioStream(f"ws://127.0.0.1:{port}", "spk_ok", FRAMES, "en")]


def test_a_failed_final_is_yielded_and_the_stream_goes_on_to_end():
    events = asyncio.run(stream_events())
    assert [type(e).__name__ for e in events] == ["Partial", "Partial", "UtteranceError", "Partial", "Final", "End"]
    failed = events[2]
    assert isinstance(failed, UtteranceError) and (failed.utterance, failed.code) == (0, "model.timeout")


def test_an_error_for_no_utterance_still_ends_the_iteration():
    with pytest.raises(StreamError) as raised:
        asyncio.run(stream_events(fatal={"code": "audio.too_long", "message": "too long", "seq": 2}))
    assert raised.value.code == "audio.too_long"


def test_only_an_error_frame_with_an_utterance_parses_as_an_utterance_error():
    with_utterance = parse_event(
        json.dumps({"type": "error", "ack": 0, "code": "model.x", "message": "m", "utterance": 3})
    )
    without = parse_event(json.dumps({"type": "error", "ack": 0, "code": "model.x", "message": "m", "seq": 3}))
    assert isinstance(with_utterance, UtteranceError) and with_utterance.utterance == 3
    assert not isinstance(without, UtteranceError)


def test_the_cli_prints_a_failed_final_as_a_warning_and_goes_on(monkeypatch):
    console, errors = Console(record=True, width=120), Console(record=True, width=120)
    monkeypatch.setattr(cli, "out", console)
    monkeypatch.setattr(cli, "err", errors)

    async def events() -> Any:
        yield Partial(ack=0, utterance=0, text="go for", start=0.0, end=0.25)
        yield UtteranceError(ack=0, code="model.timeout", message="utterance 0's final failed", utterance=0)
        yield Final(ack=1, utterance=1, text="ten meters", start=0.5, end=1.0)
        yield End(ack=1, audio_seconds=1.0, billed_seconds=1.0)

    asyncio.run(cli._show_stream(events()))
    assert "warning: utterance 0: model.timeout: utterance 0's final failed" in errors.export_text()
    assert "ten meters" in console.export_text()
