"""The launcher's failure paths against the real binary, and the client's error mapping against a real server."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from speech_core.errors import ErrorCode, InferenceError
from speech_core.inference import InferenceClient, ModelRegistry, RetryPolicy
from speech_core.inference.transport import GrpcTransport, HttpTransport
from triton_cluster.launcher import TritonServer, TritonStartupError, free_port

pytestmark = pytest.mark.integration

CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 0
input [ {{ name: "X" data_type: TYPE_FP32 dims: [ 1 ] }} ]
output [ {{ name: "Y" data_type: TYPE_FP32 dims: [ 1 ] }} ]
"""


def _repository(root: Path, name: str, initialize_body: str) -> Path:
    model = root / "repo" / name
    (model / "1").mkdir(parents=True)
    (model / "config.pbtxt").write_text(CONFIG.format(name=name))
    (model / "1" / "model.py").write_text(
        "class TritonPythonModel:\n"
        f"    def initialize(self, args):\n        {initialize_body}\n"
        "    def execute(self, requests):\n        return []\n"
    )
    return root / "repo"


def test_model_that_fails_to_load_is_a_clear_startup_error(tmp_path: Path) -> None:
    repo = _repository(tmp_path, "broken", "raise RuntimeError('weights missing: broken.bin')")
    server = TritonServer(model_repository=repo, run_dir=tmp_path / "run", startup_timeout_s=60)
    started = time.monotonic()
    with pytest.raises(TritonStartupError) as caught:
        server.start()
    assert "exited with code" in str(caught.value)
    assert "weights missing: broken.bin" in str(caught.value)
    assert time.monotonic() - started < 60 and server.process is None


def test_model_that_hangs_in_initialize_hits_the_startup_timeout(tmp_path: Path) -> None:
    repo = _repository(tmp_path, "stuck", "import time; time.sleep(600)")
    server = TritonServer(model_repository=repo, run_dir=tmp_path / "run", startup_timeout_s=6)
    started = time.monotonic()
    with pytest.raises(TritonStartupError, match="not ready after 6 s"):
        server.start()
    assert time.monotonic() - started < 40 and server.process is None


def test_missing_install_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TritonStartupError, match="make setup-triton"):
        TritonServer(venv=tmp_path / "no-venv", run_dir=tmp_path / "run").start()


def test_unreachable_server_is_model_unavailable_after_retries(registry: ModelRegistry) -> None:
    sleeps: list[float] = []
    client = InferenceClient(
        GrpcTransport(f"127.0.0.1:{free_port()}"),
        timeout_s=2,
        retry=RetryPolicy(attempts=3, backoff_s=0.05),
        sleep=sleeps.append,
    )
    with pytest.raises(InferenceError) as caught:
        client.translate(registry.select("translation", source="en", target="es"), ["hello"], "en", "es")
    assert caught.value.code == ErrorCode.MODEL_UNAVAILABLE and sleeps == [0.05, 0.1]


def test_unreachable_server_over_http_is_model_unavailable(registry: ModelRegistry) -> None:
    client = InferenceClient(
        HttpTransport(f"127.0.0.1:{free_port()}", timeout_s=2), timeout_s=2, retry=RetryPolicy(attempts=1)
    )
    with pytest.raises(InferenceError) as caught:
        client.identify_language(registry.select("language_id"), ["hello there"])
    assert caught.value.code == ErrorCode.MODEL_UNAVAILABLE


def test_deadline_shorter_than_the_model_is_model_timeout(triton_server: TritonServer, registry: ModelRegistry) -> None:
    client = InferenceClient(GrpcTransport(triton_server.grpc_url), timeout_s=0.05)
    ten_seconds = np.random.default_rng(0).normal(0, 0.1, 160_000).astype(np.float32)
    with pytest.raises(InferenceError) as caught:
        client.transcribe(registry.select("asr", language="en"), ten_seconds, "en")
    assert caught.value.code == ErrorCode.MODEL_TIMEOUT and caught.value.http_status == 504


def test_unknown_model_version_is_model_unavailable(triton_server: TritonServer, registry: ModelRegistry) -> None:
    client = InferenceClient(GrpcTransport(triton_server.grpc_url), retry=RetryPolicy(attempts=1))
    missing = registry.select("language_id").model_copy(update={"version": "9"})
    with pytest.raises(InferenceError) as caught:
        client.identify_language(missing, ["hello there"])
    assert caught.value.code == ErrorCode.MODEL_UNAVAILABLE
