"""The demo's streaming step: the recording sent over the WebSocket API at real-time pace in 250 ms frames,
each partial printed as it arrives, then the final and the stream's seconds (docs/streaming.md)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

import websockets

FRAME_BYTES = 8_000  # 250 ms of 16 kHz PCM16
FRAME_S = 0.25


async def _stream(url: str, api_key: str, raw: bytes) -> None:
    started = time.monotonic()
    async with websockets.connect(url, additional_headers={"x-api-key": api_key}) as socket:

        async def show_answers() -> None:
            async for text in socket:
                message = json.loads(text)
                at = f"{time.monotonic() - started:6.2f} s"
                kind = message["type"]
                if kind == "partial":
                    print(f"   {at}  partial (ack {message['ack']:>2}): {message['text']!r}")
                elif kind == "final":
                    print(f"   {at}  final: {message['text']!r}")
                elif kind == "end":
                    print(f"   {at}  end: {message['audioSeconds']} s of audio, {message['billedSeconds']} s billed")
                    return
                elif kind == "error":
                    print(f"   {at}  error {message['code']}: {message['message']}")
                else:
                    print(f"   {at}  {kind}")

        answers = asyncio.create_task(show_answers())
        await socket.send(json.dumps({"action": "start", "language": "en", "sampleRate": 16000}))
        for seq, offset in enumerate(range(0, len(raw), FRAME_BYTES)):
            audio = base64.b64encode(raw[offset : offset + FRAME_BYTES]).decode()
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": audio}))
            await asyncio.sleep(FRAME_S)
        print(f"   {time.monotonic() - started:6.2f} s  (audio sent; stop)")
        await socket.send(json.dumps({"action": "stop"}))
        await asyncio.wait_for(answers, 60)


def stream_recording(url: str, api_key: str, raw_pcm16: Path) -> None:
    """Stream a 16 kHz PCM16 recording like a live client and print what comes back."""
    print(f"== 3b. streaming {raw_pcm16.name} over {url} in real time")
    asyncio.run(_stream(url, api_key, raw_pcm16.read_bytes()))
