"""A streaming TTS client over a real WebSocket (the `websockets` package), for the e2e tests and the benchmark:
it sends texts, optionally `clear` after the first audio arrives, then `stop`, and keeps every answer with its
arrival time."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import websockets

TIMEOUT_S = 120
RATE = 16_000
#: one `text` message carries at most 2 000 characters (MAX_TTS_TEXT_CHARS)
TEXT_PIECE_CHARS = 1_500
#: the sentences the e2e tests and the benchmark speak
SENTENCES = [
    "The morning train leaves the station at seven.",
    "Passengers wait on the platform with their bags.",
    "A guard checks the tickets one by one.",
    "Rain falls softly on the glass roof above them.",
    "The doors open and the crowd moves inside.",
    "Somebody laughs at the back of the carriage.",
    "The train pulls away and the city slides past.",
    "Fields and rivers appear after a few minutes.",
    "A child counts the cows in every field.",
    "The journey ends when the sun is high.",
]


@dataclass
class TtsRun:
    started_at: float = 0.0
    #: when the first `text` was sent
    text_sent_at: float = 0.0
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for _, message in self.received if message["type"] == kind]

    def arrivals(self, kind: str) -> list[float]:
        return [at for at, message in self.received if message["type"] == kind]

    @property
    def pcm(self) -> bytes:
        return b"".join(base64.b64decode(m["audio"]) for m in sorted(self.of_type("audio"), key=lambda m: m["seq"]))

    @property
    def audio_seconds(self) -> float:
        return len(self.pcm) / 2 / RATE

    @property
    def first_audio_s(self) -> float:
        """Seconds from sending the text to the first audio."""
        return self.arrivals("audio")[0] - self.text_sent_at

    @property
    def last_audio_s(self) -> float:
        return self.arrivals("audio")[-1] - self.text_sent_at


def pieces(text: str, size: int = TEXT_PIECE_CHARS) -> list[str]:
    """`text` in pieces of at most `size` characters, cut after a sentence's white space where one is near."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind(". ", 0, size)
        cut = cut + 2 if cut > 0 else size
        out.append(text[:cut])
        text = text[cut:]
    return out + [text] if text else out


async def _speak(url: str, key: str, text: str, clear_after_first_audio: bool, gender: str) -> TtsRun:
    run = TtsRun(started_at=time.monotonic())
    async with websockets.connect(url, additional_headers={"x-api-key": key}, max_size=None) as socket:
        await socket.send(
            json.dumps({"action": "start", "task": "tts", "language": "en", "gender": gender, "sampleRate": RATE})
        )
        ready = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))
        run.received.append((time.monotonic(), ready))
        if ready["type"] != "ready":
            return run
        parts = pieces(text)
        run.text_sent_at = time.monotonic()
        for seq, part in enumerate(parts):
            await socket.send(json.dumps({"action": "text", "seq": seq, "text": part, "flush": seq == len(parts) - 1}))
        cleared = not clear_after_first_audio
        stopped = False
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))
            run.received.append((time.monotonic(), message))
            if message["type"] == "end":
                return run
            if not cleared and message["type"] == "audio":
                await socket.send(json.dumps({"action": "clear"}))
                cleared = True
            if cleared and not stopped:
                await socket.send(json.dumps({"action": "stop"}))
                stopped = True


def speak(url: str, key: str, text: str, *, clear_after_first_audio: bool = False, gender: str = "female") -> TtsRun:
    return asyncio.run(_speak(url, key, text, clear_after_first_audio, gender))
