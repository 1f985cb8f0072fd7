"""One real tritonserver (CPU, Python backend) for the Triton integration suite, on free loopback ports.

Started once per session with triton_cluster's launcher and stopped by PID at the end. Needs
`make setup-triton` (the .venvs/triton env and the models' Debian packages); without it the fixture fails
with the launcher's message rather than skipping, so a broken set-up is never a green run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from speech_core.inference import InferenceClient, ModelRegistry, load_packaged_registry
from speech_core.inference.transport import GrpcTransport, HttpTransport
from triton_cluster.launcher import MODEL_REPOSITORY, TritonServer

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def triton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TritonServer]:
    server = TritonServer(
        model_repository=MODEL_REPOSITORY, run_dir=tmp_path_factory.mktemp("triton"), startup_timeout_s=120
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def registry() -> ModelRegistry:
    return load_packaged_registry("local")


@pytest.fixture(scope="session")
def grpc_client(triton_server: TritonServer) -> InferenceClient:
    return InferenceClient(GrpcTransport(triton_server.grpc_url), timeout_s=60)


@pytest.fixture(scope="session")
def http_client(triton_server: TritonServer) -> InferenceClient:
    return InferenceClient(HttpTransport(triton_server.http_url, timeout_s=60), timeout_s=60)
