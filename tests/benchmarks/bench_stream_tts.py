"""Streaming TTS benchmark: time to first audio over the WebSocket API vs the sync TTS of the same text, in one
run, printed as ratios (no timed asserts). Part of `make bench-stream`.

For texts of 2, 10 and 40 sentences, alternating runs of: the streaming client (start, `text` pieces with
flush, `stop`: seconds from the first `text` sent to the first `audio`, and to the last) and `POST /v1/tts` of the
same text (16 kHz WAV: seconds to the response). Both go through the same local cloud (gateway, authorizer,
function workers, Triton's `tts` model); cold starts are excluded by a warm-up that starts both environments
of the stream function. The stack is brought up for the run and stopped after; set BENCH_STREAM_TTS_STATE_DIR
to the state folder of a running stack to reuse it.
"""

from __future__ import annotations

import base64
import io
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import soundfile as sf

from local_cloud.cloud_lifecycle import _api_url
from speech_core.keys import Scope
from tests.benchmarks.bench_stack import bench_keys, bench_stack
from tests.e2e.tts_stream_client import RATE, SENTENCES, speak

pytestmark = pytest.mark.benchmark
RUNS = 5
TEXTS = {
    "2 sentences": " ".join(SENTENCES[:2]),
    "10 sentences": " ".join(SENTENCES),
    "40 sentences": " ".join(SENTENCES * 4),
}


@dataclass(frozen=True)
class Stack:
    api_url: str
    websocket_url: str
    key: str


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with bench_stack("BENCH_STREAM_TTS_STATE_DIR", "bench-stream-tts-") as state:
        (key,) = bench_keys(state, ["bench-stream-tts"], list(Scope))
        yield Stack(_api_url(state), state.outputs["WebSocketUrl"], key)


def sync_tts(client: httpx.Client, text: str) -> tuple[float, float]:
    """Seconds to the sync TTS response, and the seconds of audio in it."""
    started = time.perf_counter()
    response = client.post(
        "v1/tts",
        json={
            "input": [{"source": text}],
            "config": {"language": {"sourceLanguage": "en"}, "gender": "female", "samplingRate": RATE},
        },
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    audio, rate = sf.read(io.BytesIO(base64.b64decode(response.json()["audio"][0]["audioContent"])))
    return elapsed, len(audio) / rate


def test_time_to_first_audio_vs_sync_tts(stack: Stack) -> None:
    with httpx.Client(base_url=stack.api_url, headers={"x-api-key": stack.key}, timeout=120) as client:
        # warm-up: both stream function environments (a clear runs beside a synthesizing invocation), sync TTS
        speak(stack.websocket_url, stack.key, TEXTS["10 sentences"], clear_after_first_audio=True)
        speak(stack.websocket_url, stack.key, TEXTS["2 sentences"])
        sync_tts(client, TEXTS["2 sentences"])
        print(f"\nstreaming TTS vs sync TTS, {RUNS} alternating runs each, medians (seconds)")
        print(
            f"{'text':<14}{'chars':>7}{'audio s':>9}{'sync':>8}{'stream 1st':>12}{'stream last':>13}"
            f"{'1st/sync':>10}{'last/sync':>11}{'dur ratio':>11}"
        )
        for name, text in TEXTS.items():
            sync_s: list[float] = []
            first_s: list[float] = []
            last_s: list[float] = []
            durations: list[tuple[float, float]] = []
            for _ in range(RUNS):
                run = speak(stack.websocket_url, stack.key, text)
                assert not run.of_type("error"), run.of_type("error")
                first_s.append(run.first_audio_s)
                last_s.append(run.last_audio_s)
                seconds, audio_s = sync_tts(client, text)
                sync_s.append(seconds)
                durations.append((run.audio_seconds, audio_s))
            sync, first, last = (statistics.median(v) for v in (sync_s, first_s, last_s))
            streamed, synced = durations[-1]
            print(
                f"{name:<14}{len(text):>7}{synced:>9.2f}{sync:>8.3f}{first:>12.3f}{last:>13.3f}"
                f"{first / sync:>10.2f}{last / sync:>11.2f}{streamed / synced:>11.3f}"
            )
