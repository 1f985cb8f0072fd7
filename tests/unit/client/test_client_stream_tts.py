"""Streaming TTS into a file against a fake WebSocket server: chunks written in `seq` order, a repeated chunk
once, the server's totals reported, and an error frame raised with its code."""

from __future__ import annotations

import asyncio
import base64
import json
import wave
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from speech_client import StreamError
from speech_client.streaming_tts import synthesize_stream_to_file


def chunk(seq: int, value: int, text_seq: int = 0) -> str:
    pcm = int(value).to_bytes(2, "little", signed=True) * 800  # 50 ms at 16 kHz
    message = {"type": "audio", "ack": 0, "seq": seq, "audio": base64.b64encode(pcm).decode(), "textSeq": text_seq}
    return json.dumps(message | {"start": seq * 0.05, "end": (seq + 1) * 0.05, "final": False})


async def synthesize(answers: list[str], tmp_path: Path, seen: list[dict[str, Any]]) -> Any:
    async def handler(socket: ServerConnection) -> None:
        async for text in socket:
            message = json.loads(text)
            seen.append(message)
            if message["action"] == "start":
                await socket.send(
                    json.dumps({"type": "ready", "ack": -1, "sessionId": "s", "limits": {"sampleRate": 16000}})
                )
            elif message["action"] == "stop":
                for answer in answers:
                    await socket.send(answer)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        return await synthesize_stream_to_file(
            f"ws://127.0.0.1:{port}", "k", ["Hello there. ", "How are you?"], "en", tmp_path / "out.wav"
        )


@pytest.fixture(autouse=True)
def short_first_answer_wait(monkeypatch):
    # this fake answers only `stop`, which the client sends after the first answer or this pause
    monkeypatch.setattr("speech_client.streaming_tts.FIRST_ANSWER_WAIT_S", 0.05)


def test_chunks_are_written_in_order_once_with_the_servers_totals(tmp_path):
    seen: list[dict[str, Any]] = []
    end = json.dumps(
        {"type": "end", "ack": 1, "characters": 24, "droppedCharacters": 0, "audioSeconds": 0.15, "billedSeconds": 1}
    )
    result = asyncio.run(
        synthesize([chunk(1, 200), chunk(0, 100), chunk(1, 200), chunk(2, 300, 1), end], tmp_path, seen)
    )
    # the text went as numbered pieces, the last one flushed, then stop naming the last piece
    assert [m["action"] for m in seen] == ["start", "text", "text", "stop"]
    assert seen[3]["lastSeq"] == 1
    assert seen[0]["task"] == "tts" and [(m["seq"], m["flush"]) for m in seen[1:3]] == [(0, False), (1, True)]
    assert (result.chunks, result.characters, result.audio_seconds) == (3, 24, 0.15)
    with wave.open(str(tmp_path / "out.wav")) as wav:
        frames = wav.readframes(wav.getnframes())
        assert wav.getframerate() == 16_000 and len(frames) == 3 * 1600
    assert [int.from_bytes(frames[i : i + 2], "little") for i in (0, 1600, 3200)] == [100, 200, 300]


def test_an_error_frame_is_raised_with_its_code(tmp_path):
    error = json.dumps({"type": "error", "ack": -1, "code": "language.unsupported", "message": "no voice"})
    with pytest.raises(StreamError) as raised:
        asyncio.run(synthesize([error], tmp_path, []))
    assert raised.value.code == "language.unsupported"
