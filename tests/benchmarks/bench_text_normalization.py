"""What ITN and text normalization add to ASR and TTS: model latency p50/p95 on the real tritonserver, and the
ratio (ASR + ITN) / ASR and (TN + TTS) / TTS measured in this one run (no timed asserts).
`make bench-text-normalization`.

One tritonserver serves the four models involved (asr, itn, tts, text_normalization) from the repository,
through the same typed client the API uses (gRPC, concurrency 1, warm). Inputs: the real recording
`goforward.raw` ("go forward ten meters") for ASR and its transcript for ITN; a sentence with an amount and a
date ("I paid ₹250 on 3 March.") for TN and TTS, in English and Hindi.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from speech_core.inference import InferenceClient, Task, load_packaged_registry
from speech_core.inference.transport import GrpcTransport
from triton_cluster.launcher import MODEL_REPOSITORY, TritonServer

GOFORWARD = Path("/usr/share/pocketsphinx/test/data/goforward.raw")
REQUESTS = 40
pytestmark = pytest.mark.benchmark

SENTENCES = {
    "en": ("I paid ₹250 on 3 March.", "i paid two hundred and fifty rupees on the third of march"),
    "hi": ("मैंने 3 मार्च को ₹250 दिए", "मैंने तीन मार्च को दो सौ पचास रुपये दिए"),
}


def measure(call: Callable[[], object]) -> tuple[float, float]:
    """p50 and p95 in ms over REQUESTS sequential calls, after two warm-up calls."""
    call()
    call()
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def test_latency_added_by_itn_and_text_normalization(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    repository.mkdir()
    for model in ("asr", "itn", "tts", "text_normalization"):
        (repository / model).symlink_to(MODEL_REPOSITORY / model, target_is_directory=True)
    registry = load_packaged_registry("local")
    with TritonServer(model_repository=repository, run_dir=tmp_path / "run", startup_timeout_s=180) as server:
        client = InferenceClient(GrpcTransport(server.grpc_url), timeout_s=60)
        audio = np.frombuffer(GOFORWARD.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
        asr = registry.select(Task.ASR, language="en")
        rows: list[tuple[str, float, float]] = []
        rows.append(("asr en (goforward, 2.8 s)", *measure(lambda: client.transcribe(asr, audio, "en"))))
        heard = client.transcribe(asr, audio, "en").text
        ratios: list[str] = []
        for language, (written, spoken) in SENTENCES.items():
            itn = registry.select(Task.ITN, language=language)
            tn = registry.select(Task.TEXT_NORMALIZATION, language=language)
            tts = registry.select(Task.TTS, language=language, voice="female")
            # as the API calls it: the transcript and its one segment in one batch
            itn_input = [heard, heard] if language == "en" else [spoken, spoken]
            itn_p50, itn_p95 = measure(lambda: client.normalize_texts(itn, itn_input, language))  # noqa: B023
            rows.append((f"itn {language} ({itn_input[0]!r} x2)", itn_p50, itn_p95))
            longer = measure(lambda: client.normalize_texts(itn, [spoken], language))  # noqa: B023
            rows.append((f"itn {language} ({spoken!r})", *longer))
            tn_p50, tn_p95 = measure(lambda: client.normalize_texts(tn, [written], language))  # noqa: B023
            rows.append((f"text_normalization {language} ({written!r})", tn_p50, tn_p95))
            said = client.normalize_texts(tn, [written], language)[0]
            tts_p50, tts_p95 = measure(lambda: client.synthesize(tts, said, language, "female"))  # noqa: B023
            rows.append((f"tts {language} ({said!r})", tts_p50, tts_p95))
            ratios.append(f"(tn + tts) / tts, {language}: {(tn_p50 + tts_p50) / tts_p50:.2f}x at p50")
            if language == "en":
                asr_p50 = rows[0][1]
                ratios.append(f"(asr + itn) / asr, en: {(asr_p50 + itn_p50) / asr_p50:.2f}x at p50")
    print(f"\n{'model (input)':<95} {'p50 ms':>8} {'p95 ms':>8}")
    for name, p50, p95 in rows:
        print(f"{name:<95} {p50:8.1f} {p95:8.1f}")
    print("\n".join(["", "Added latency (ratios, this run):", *ratios]))
