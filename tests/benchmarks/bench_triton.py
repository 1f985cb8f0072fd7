"""Triton benchmark: per model, latency p50/p95 and throughput at concurrency 1 and 8, with and without
dynamic batching, printed as ratios measured in this one run (no timed asserts). `make bench-triton`.

One real tritonserver is started in explicit model-control mode on free loopback ports. Each model is first
measured with its repository config (dynamic batching on), then reloaded with the same config minus its
`dynamic_batching` block (each request then runs alone) and measured again. Request loops are bounded in count
and time. The streaming model (sequence batcher) is measured per 250 ms chunk with 1 and 8 parallel streams.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from speech_core.inference import InferenceClient, ModelRegistry, load_packaged_registry
from speech_core.inference.transport import GrpcTransport
from triton_cluster.launcher import TritonServer

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = Path("/usr/share/pocketsphinx/test/data")
MAX_SECONDS_PER_RUN = 20.0
pytestmark = pytest.mark.benchmark


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def run_load(call: Callable[[], object], concurrency: int, requests: int) -> dict[str, float]:
    """`requests` calls spread over `concurrency` threads (stops early after MAX_SECONDS_PER_RUN)."""
    latencies: list[float] = []
    deadline = time.monotonic() + MAX_SECONDS_PER_RUN

    def worker(count: int) -> None:
        for _ in range(count):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            call()
            latencies.append(time.perf_counter() - start)

    call()  # warm-up: first request loads caches in the stub
    per_worker = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, per_worker))
    elapsed = time.perf_counter() - started
    return {
        "n": len(latencies),
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p95_ms": _percentile(latencies, 95) * 1000,
        "rps": len(latencies) / elapsed,
    }


def _audio(name: str) -> np.ndarray:
    return np.fromfile(TESTDATA / name, dtype="<i2").astype(np.float32) / 32768.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with TritonServer(run_dir=tmp_path_factory.mktemp("bench"), model_control_mode="explicit") as running:
        yield running


def _set_dynamic_batching(
    admin: grpcclient.InferenceServerClient, model: str, enabled: bool, original: dict[str, dict]
) -> None:
    config = dict(original[model])
    if not enabled:
        config.pop("dynamic_batching", None)
    admin.load_model(model, config=json.dumps(config))
    deadline = time.monotonic() + 60
    while not admin.is_model_ready(model):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{model} did not come back after reload")
        time.sleep(0.1)


def test_benchmark_models(server: TritonServer) -> None:
    registry: ModelRegistry = load_packaged_registry("local")
    client = InferenceClient(GrpcTransport(server.grpc_url), timeout_s=120)
    admin = grpcclient.InferenceServerClient(server.grpc_url)
    speech = _audio("goforward.raw")  # 2.8 s
    asr, vad = registry.select("asr", language="en"), registry.select("vad")
    tts = registry.select("tts", language="en").model_copy(update={"version": "1"})
    translation = registry.select("translation", source="en", target="es")
    xlit = registry.select("transliteration", source="hi", target="ta")
    language_id = registry.select("language_id")
    workloads: dict[str, tuple[Callable[[], object], int]] = {
        "asr": (lambda: client.transcribe(asr, speech, "en"), 48),
        "vad": (lambda: client.detect_speech(vad, speech), 48),
        "tts": (lambda: client.synthesize(tts, "The weather is very nice today.", "en", "female"), 80),
        "translation": (lambda: client.translate(translation, ["I have a red car."], "en", "es"), 160),
        "transliteration": (lambda: client.transliterate(xlit, ["नमस्ते भारत"], "hi", "ta"), 400),
        "language_id": (lambda: client.identify_language(language_id, ["यह एक किताब है"]), 400),
    }
    original = {m: admin.get_model_config(m, as_json=True)["config"] for m in workloads}
    rows = []
    for model, (call, count) in workloads.items():
        for batching in (True, False):
            _set_dynamic_batching(admin, model, batching, original)
            for concurrency in (1, 8):
                rows.append(
                    {"model": model, "batching": batching, "c": concurrency, **run_load(call, concurrency, count)}
                )
        _set_dynamic_batching(admin, model, True, original)

    print("\n\nTriton on CPU (gRPC, one client process; 2.8 s clip for asr/vad)")
    print(f"{'model':16} {'dyn.batch':9} {'conc':>4} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}")
    for r in rows:
        print(
            f"{r['model']:16} {'on' if r['batching'] else 'off':9} {r['c']:>4} {r['n']:>4} "
            f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['rps']:>8.1f}"
        )
    print("\nratios (same run): throughput c8/c1 with batching; batching on/off at c8 (throughput, p95)")
    for model in workloads:
        get = {(r["batching"], r["c"]): r for r in rows if r["model"] == model}
        print(
            f"{model:16} c8/c1 x{get[True, 8]['rps'] / get[True, 1]['rps']:.2f}   "
            f"on/off rps x{get[True, 8]['rps'] / get[False, 8]['rps']:.2f}   "
            f"on/off p95 x{get[True, 8]['p95_ms'] / get[False, 8]['p95_ms']:.2f}   "
            f"c1 on/off p50 x{get[True, 1]['p50_ms'] / get[False, 1]['p50_ms']:.2f}"
        )

    streaming = registry.select("asr_streaming", language="en")

    def one_stream() -> list[float]:
        session = client.open_stream(streaming, "en")
        times = []
        for i in range(0, speech.size, 4000):
            start = time.perf_counter()
            session.send(speech[i : i + 4000])
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        session.finish()
        times.append(time.perf_counter() - start)
        return times

    print("\nasr_streaming (250 ms chunks of the 2.8 s clip; last = final pass)")
    one_stream()
    for streams in (1, 8):
        started = time.perf_counter()
        with ThreadPoolExecutor(streams) as pool:
            results = list(pool.map(lambda _: one_stream(), range(streams * 2)))
        elapsed = time.perf_counter() - started
        chunk = [t for r in results for t in r[:-1]]
        final = [r[-1] for r in results]
        audio_s = len(results) * speech.size / 16000
        print(
            f"  {streams} streams: chunk p50 {statistics.median(chunk) * 1000:.1f} ms, "
            f"p95 {_percentile(chunk, 95) * 1000:.1f} ms; final p50 {statistics.median(final) * 1000:.1f} ms; "
            f"{audio_s / elapsed:.1f} s of audio per s"
        )
    assert rows  # the numbers are the output; nothing is timed-asserted
