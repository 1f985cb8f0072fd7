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


READY = {"type": "ready", "ack": -1, "sessionId": "s-1", "resumeToken": "t", "limits": {"maxFramesPerSecond": 200}}
FAILED_FINAL = {
    "type": "error",
    "ack": 1,
    "code": "model.timeout",
    "message": "utterance 0's final failed",
    "utterance": 0,
}


def partial(seq: int) -> dict[str, Any]:
    return {"type": "partial", "ack": seq, "utterance": int(seq >= 2), "text": f"p{seq}", "stable": "", "end": seq}


def replies(fatal: dict[str, Any] | None = None) -> dict[str | int, list[dict[str, Any]]]:
    """What the fake server answers to `start`, each frame (by seq) and `stop`: frame 1 ends utterance 0, whose
    final fails; `fatal`, when given, answers frame 2 instead of its partial."""
    final = {"type": "final", "ack": 2, "utterance": 1, "text": "second", "words": [], "start": 0.2, "end": 0.3}
    return {
        "start": [READY],
        0: [partial(0)],
        1: [partial(1), FAILED_FINAL],
        2: [{"type": "error", "ack": 1, **fatal}] if fatal else [partial(2)],
        "stop": [final, {"type": "end", "ack": 2, "audioSeconds": 0.3, "billedSeconds": 1.0}],
    }


async def stream_events(fatal: dict[str, Any] | None = None) -> list[StreamEvent]:
    script = replies(fatal)

    async def scripted(socket: ServerConnection) -> None:
        async for text in socket:
            message = json.loads(text)
            for reply in script.get(message.get("seq", message["action"]), []):
                await socket.send(json.dumps(reply))

    async with serve(scripted, "127.0.0.1", 0) as server:
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
