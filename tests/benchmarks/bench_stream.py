"""Streaming ASR benchmark over the WebSocket API on the local cloud. `make bench-stream`; numbers, no asserts.

Real speech (pocketsphinx's LibriVox clips with pauses between them) is streamed in 250 ms frames by real
WebSocket clients through the local API Gateway, the stream function, PostgreSQL and Triton's
`asr_streaming` (sequence batcher). Three measurements, printed as ratios measured in this one run:

1. Partial latency after each chunk at real-time pace: from sending frame `seq` to the first partial whose
   `ack` covers it (client side), p50/p95, next to the server's own p50/p95 from `end`. Target p95 < 300 ms.
2. Per-chunk cost 5 min into a stream ÷ at 10 s: frames sent one after the other (the next when the previous
   partial is back), so each latency is that frame's whole cost with nothing queued before it. The median
   around 10 s against the median over the last 10 s, without endpointing (utterances end at the 15 s cap) and
   with endpointing at 500 ms. Target <= 1.2 (each frame sends only its own samples, the model keeps the state).
3. Concurrent real-time streams: N streams at once, each at real-time pace with endpointing at 500 ms, for
   N = 1, 2, 4, ...; a level holds when no stream fell behind: in every stream the median partial latency
   over its last quarter stays under 1 s (four frames; a queue that grows raises it, a final's one-off pause
   does not), with no errors. Prints the largest N that held.

Sizes (env): BENCH_STREAM_LATENCY_S (30), BENCH_STREAM_LONG_S (300), BENCH_STREAM_CONCURRENT_S (20),
BENCH_STREAM_MAX_CONCURRENCY (32); BENCH_STREAM_PARTS (1,2,3) picks the measurements.
BENCH_STREAM_STATE_DIR reuses a running stack (e.g. `.local/cloud` after `make up`); otherwise one is brought
up in a temporary folder and stopped after.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import websockets

from speech_core.keys import Scope
from tests.benchmarks.bench_stack import bench_keys, bench_stack

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(0)]  # a run at full size takes ~20 min

RATE = 16_000
FRAME_S = 0.25
FRAME_BYTES = int(FRAME_S * RATE) * 2
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
PAUSE_S = 0.6
LATENCY_S = float(os.environ.get("BENCH_STREAM_LATENCY_S", "30"))
LONG_S = float(os.environ.get("BENCH_STREAM_LONG_S", "300"))
CONCURRENT_S = float(os.environ.get("BENCH_STREAM_CONCURRENT_S", "20"))
MAX_CONCURRENCY = int(os.environ.get("BENCH_STREAM_MAX_CONCURRENCY", "32"))
PARTS = set(os.environ.get("BENCH_STREAM_PARTS", "1,2,3").split(","))
FELL_BEHIND_S = 1.0
LOCKSTEP_MIN_GAP_S = 0.025
TIMEOUT_S = 300.0


@dataclass
class Stack:
    websocket_url: str
    keys: list[str]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with bench_stack("BENCH_STREAM_STATE_DIR", "bench-stream-") as state:
        # one key per stream slot: a key holds at most 10 live streams, and its request limits never refuse here
        keys = bench_keys(state, [f"bench-stream-{n}" for n in range(MAX_CONCURRENCY)], [Scope.STREAMING])
        yield Stack(websocket_url=state.outputs["WebSocketUrl"], keys=keys)


def speech_frames(seconds: float) -> list[str]:
    """`seconds` of real speech (the LibriVox clips in turn, a pause before each), as base64 250 ms frames."""
    clips = [sf.read(path, dtype="int16")[0] for path in sorted(LIBRIVOX.glob("*.wav"))]
    pause = np.zeros(int(PAUSE_S * RATE), dtype=np.int16)
    pieces: list[np.ndarray] = []
    total = 0
    k = 0
    while total < seconds * RATE:
        pieces += [pause, clips[k % len(clips)]]
        total += pause.size + clips[k % len(clips)].size
        k += 1
    pcm = np.concatenate(pieces)[: int(seconds * RATE)].astype("<i2").tobytes()
    return [base64.b64encode(pcm[i : i + FRAME_BYTES]).decode() for i in range(0, len(pcm), FRAME_BYTES)]


@dataclass
class StreamResult:
    sent_at: list[float] = field(default_factory=list)
    acked_at: dict[int, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] = field(default_factory=dict)

    @property
    def latencies(self) -> list[float]:
        """Per frame: seconds from sending it to the first partial that acknowledged it."""
        return [self.acked_at[seq] - sent for seq, sent in enumerate(self.sent_at) if seq in self.acked_at]


async def run_stream(
    url: str,
    key: str,
    frames: list[str],
    *,
    paced: bool,
    lockstep: bool = False,
    endpointing: int | None = None,
    finalize_after: int | None = None,
) -> StreamResult:
    """One stream: `paced` sends a frame every 250 ms; `lockstep` sends the next when the previous is acked;
    `finalize_after` sends `finalize` after that many frames."""
    result = StreamResult()
    acked = asyncio.Event()
    highest = -1
    async with websockets.connect(url, additional_headers={"x-api-key": key}, max_size=None) as socket:

        async def read() -> None:
            nonlocal highest
            async for text in socket:
                message = json.loads(text)
                now = time.perf_counter()
                if message["type"] == "error":
                    result.errors.append(message)
                    acked.set()  # a refused frame is not waited for
                for seq in range(highest + 1, message["ack"] + 1):
                    result.acked_at[seq] = now
                if message["ack"] > highest:
                    highest = message["ack"]
                    acked.set()
                if message["type"] == "end":
                    result.end = message
                    return

        start: dict[str, Any] = {"action": "start", "language": "en"}
        if endpointing:
            start["endpointing"] = endpointing
        await socket.send(json.dumps(start))
        reader = asyncio.create_task(read())
        began = time.perf_counter()
        for seq, frame in enumerate(frames):
            if paced:
                await asyncio.sleep(max(0.0, began + seq * FRAME_S - time.perf_counter()))
            acked.clear()
            result.sent_at.append(time.perf_counter())
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": frame}))
            if finalize_after is not None and seq + 1 == finalize_after:
                await socket.send(json.dumps({"action": "finalize"}))
            if lockstep:
                while highest < seq and not any(e.get("seq") == seq for e in result.errors):
                    await asyncio.wait_for(acked.wait(), TIMEOUT_S)
                    acked.clear()
                # under the stream's frames-per-second limit (50) even where a frame costs a few ms
                await asyncio.sleep(max(0.0, result.sent_at[-1] + LOCKSTEP_MIN_GAP_S - time.perf_counter()))
        await socket.send(json.dumps({"action": "stop"}))
        await asyncio.wait_for(reader, TIMEOUT_S)
    return result


def pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def warm_up(stack: Stack, frames: list[str]) -> None:
    """Two warm environments of the stream function and a warm `asr` model: a final is computed after its
    frame's answer, so the frames after it run in a second environment; its cold start is not what is measured."""
    asyncio.run(run_stream(stack.websocket_url, stack.keys[0], frames[:16], paced=False, finalize_after=8))


def measure_latency(stack: Stack) -> None:
    frames = speech_frames(LATENCY_S)
    warm_up(stack, frames)
    result = asyncio.run(run_stream(stack.websocket_url, stack.keys[0], frames, paced=True))
    latencies = result.latencies
    p95 = pct(latencies, 0.95)
    print(
        f"\n1. partial latency after each 250 ms chunk, real-time pace, {LATENCY_S:.0f} s of speech "
        f"({len(frames)} chunks)"
    )
    print(f"{'':<28}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    print(f"{'client (send -> partial)':<28}{ms(pct(latencies, 0.5)):>8}{ms(p95):>8}{ms(max(latencies)):>8}")
    print(
        f"{'server (end message)':<28}{result.end.get('partialLatencyP50Ms', float('nan')):>8.0f}"
        f"{result.end.get('partialLatencyP95Ms', float('nan')):>8.0f}"
    )
    print(f"client p95 / 300 ms target = {p95 / 0.3:.2f} (<= 1 meets it); errors: {len(result.errors)}")
    for error in result.errors:
        print(f"  error: {error.get('code')} {str(error.get('message'))[:160]}")


def measure_cost_over_time(stack: Stack) -> None:
    frames = speech_frames(LONG_S)
    early = slice(int(8 / FRAME_S), int(12 / FRAME_S))  # chunks between 8 s and 12 s into the stream
    late = slice(len(frames) - int(10 / FRAME_S), len(frames))  # the last 10 s
    print(f"\n2. per-chunk cost over one stream of {LONG_S:.0f} s (lockstep: each chunk sent when the last is acked)")
    print(f"{'mode':<28}{'at 10 s ms':>11}{f'at {LONG_S:.0f} s ms':>12}{'ratio':>7}{'errors':>7}")
    for label, endpointing in (("no endpointing (15 s cap)", None), ("endpointing 500 ms", 500)):
        result = asyncio.run(
            run_stream(stack.websocket_url, stack.keys[1], frames, paced=False, lockstep=True, endpointing=endpointing)
        )
        latencies = result.latencies
        at_10 = statistics.median(latencies[early])
        at_end = statistics.median(latencies[late])
        print(f"{label:<28}{ms(at_10):>11}{ms(at_end):>12}{at_end / at_10:>7.2f}{len(result.errors):>7}")
    print("target: ratio <= 1.2")


async def _concurrent(stack: Stack, frames: list[str], n: int) -> list[StreamResult]:
    async def one(i: int) -> StreamResult:
        await asyncio.sleep(i * FRAME_S / n)  # spread the streams' frames over the 250 ms period, as clients are
        return await run_stream(stack.websocket_url, stack.keys[i], frames, paced=True, endpointing=500)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def measure_concurrency(stack: Stack) -> None:
    frames = speech_frames(CONCURRENT_S)
    print(
        f"\n3. concurrent real-time streams ({CONCURRENT_S:.0f} s each; "
        f"endpointing 500 ms; behind: late median over {FELL_BEHIND_S:g} s)"
    )
    print(f"{'streams':>8}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'worst late median ms':>22}{'errors':>7}{'held':>6}")
    held = 0
    n = 1
    while n <= MAX_CONCURRENCY:
        results = asyncio.run(_concurrent(stack, frames, n))
        latencies = [lat for r in results for lat in r.latencies]
        worst_late = max(statistics.median(r.latencies[-max(1, len(r.latencies) // 4) :]) for r in results)
        errors = sum(len(r.errors) for r in results)
        ok = worst_late < FELL_BEHIND_S and errors == 0 and all(r.end for r in results)
        print(
            f"{n:>8}{ms(pct(latencies, 0.5)):>8}{ms(pct(latencies, 0.95)):>8}{ms(max(latencies)):>8}"
            f"{ms(worst_late):>22}{errors:>7}{'yes' if ok else 'no':>6}"
        )
        if not ok:
            break
        held = n
        n *= 2
    print(f"concurrent real-time streams this machine holds: {held} (of {MAX_CONCURRENCY} tried at most)")


def test_streaming_benchmark(stack: Stack) -> None:
    if "1" in PARTS:
        measure_latency(stack)
    if "2" in PARTS:
        measure_cost_over_time(stack)
    if "3" in PARTS:
        measure_concurrency(stack)
