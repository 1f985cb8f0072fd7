"""A final that arrives after the next utterance's partials (the server computes it after answering the frame
that ended its utterance): the streaming iterator yields it as it comes, with its utterance, and the CLI prints
it without wiping the next utterance's live partial."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rich.console import Console
from websockets.asyncio.server import ServerConnection, serve

from speech_client import cli
from speech_client.streaming import AudioStream, End, Final, Partial, StreamEvent, TranslationEvent

FRAMES = [bytes([i]) * 800 for i in range(4)]


async def late_final_server(socket: ServerConnection) -> None:
    """Frame 1 ends utterance 0; its final (ack 1) comes after frame 2's partial of utterance 1."""
    async for text in socket:
        message = json.loads(text)
        if message["action"] == "start":
            ready = {"sessionId": "s-1", "resumeToken": "t", "limits": {"maxFramesPerSecond": 200}}
            await socket.send(json.dumps({"type": "ready", "ack": -1, **ready}))
        elif message["action"] == "audio":
            seq = message["seq"]
            utterance = 0 if seq < 2 else 1
            partial = {"type": "partial", "ack": seq, "utterance": utterance, "text": f"p{seq}", "stable": ""}
            await socket.send(json.dumps({**partial, "start": 0.5 * utterance, "end": 0.25 * (seq + 1)}))
            if seq == 2:
                final = {"type": "final", "ack": 1, "utterance": 0, "text": "first", "start": 0.0, "end": 0.5}
                await socket.send(json.dumps({**final, "words": []}))
        elif message["action"] == "stop":
            final = {"type": "final", "ack": 3, "utterance": 1, "text": "second", "start": 0.5, "end": 1.0}
            await socket.send(json.dumps({**final, "words": []}))
            await socket.send(json.dumps({"type": "end", "ack": 3, "audioSeconds": 1.0, "billedSeconds": 1.0}))


async def stream_events() -> list[StreamEvent]:
    async with serve(late_final_server, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        return [event async for event in AudioStream(f"ws://127.0.0.1:{port}", "spk_ok", FRAMES, "en")]


def test_the_iterator_yields_a_late_final_in_arrival_order_with_its_utterance():
    events = asyncio.run(stream_events())
    kinds = [(type(e).__name__, getattr(e, "utterance", None), e.ack) for e in events]
    # Then the late final (older ack) comes between utterance 1's partials, and nothing is resent or lost
    assert kinds == [
        ("Partial", 0, 0),
        ("Partial", 0, 1),
        ("Partial", 1, 2),
        ("Final", 0, 1),
        ("Partial", 1, 3),
        ("Final", 1, 3),
        ("End", None, 3),
    ]
    finals = sorted((e for e in events if isinstance(e, Final)), key=lambda f: f.utterance)
    assert " ".join(f.text for f in finals) == "first second"


class RecordingLive:
    """rich's Live, recording what the live line showed."""

    shown: list[str] = []

    def __init__(self, renderable: Any, console: Console, **options: Any) -> None:
        self.console = console

    def __enter__(self) -> RecordingLive:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, renderable: Any) -> None:
        RecordingLive.shown.append(str(renderable))


def test_the_cli_prints_a_late_final_and_keeps_the_next_utterances_partial_live(monkeypatch):
    console = Console(record=True, width=120, force_terminal=False)
    monkeypatch.setattr(cli, "out", console)
    monkeypatch.setattr(cli, "Live", RecordingLive)
    RecordingLive.shown = []

    async def events() -> Any:
        yield Partial(ack=0, utterance=0, text="go for", start=0.0, end=0.25)
        yield Partial(ack=1, utterance=1, text="ten", start=0.5, end=0.75)
        yield Final(ack=0, utterance=0, text="go forward", start=0.0, end=0.5)
        yield TranslationEvent(
            ack=0, text="go forward", translation="avanza", source_language="en", target_language="es"
        )
        yield Final(ack=1, utterance=1, text="ten meters", start=0.5, end=1.0)
        yield End(ack=1, audio_seconds=1.0, billed_seconds=1.0)

    asyncio.run(cli._show_stream(events()))
    printed = console.export_text()
    assert printed.index("go forward") < printed.index("avanza") < printed.index("ten meters")
    # the late final of utterance 0 did not wipe utterance 1's live partial; utterance 1's final did
    assert RecordingLive.shown == ["go for", "ten", "…"]
