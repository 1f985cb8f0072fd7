"""The whole local cloud, brought up once for the e2e session exactly as `make up` does, and stopped after.

Tests talk to it only over HTTP, like a client; they find it through the stack outputs. Keys with special
properties (one scope, a tiny rate limit, revoked) are made with the key service on the stack's database,
as an operator would with `speech-admin`.
"""

from __future__ import annotations

import base64
import io
import shutil
import tempfile
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from local_cloud.cloud_lifecycle import DEV_TENANT, _api_url, down, up
from speech_core.db.repositories import get_repositories
from speech_core.keys import KeyLimits, Scope, get_api_key_service

GOFORWARD_RAW = Path("/usr/share/pocketsphinx/test/data/goforward.raw")


@dataclass(frozen=True)
class LocalCloud:
    api_url: str
    websocket_url: str | None
    api_key: str
    database_url: str
    #: the stack's outputs (bucket names, queue URLs...) and where LocalStack answers, for tests that act on the
    #: cloud itself, as an operator or an S3 client would (e.g. an S3-drop under incoming/<tenant>/)
    outputs: dict[str, str]
    localstack_endpoint: str
    #: the Triton server's PID and its (HTTP, gRPC, metrics) ports, for the fault tests that stop and restart it
    triton_pid: int | None = None
    triton_ports: tuple[int, ...] = ()
    #: the web console served by the local cloud (None when console/dist was not built)
    console_url: str | None = None
    #: each part's log file by part name (the runtime's holds the gateways' and the functions' output)
    logs: tuple[tuple[str, str], ...] = ()

    def client(self, key: str | None = None, **headers: str) -> httpx.Client:
        all_headers = {"x-api-key": key or self.api_key} if key != "" else {}
        all_headers.update(headers)
        return httpx.Client(base_url=self.api_url, headers=all_headers, timeout=60)


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    state_dir = Path(tempfile.mkdtemp(prefix="speech-e2e-"))
    state = up(state_dir)
    try:
        assert state.api_key and state.database_url
        yield LocalCloud(
            api_url=_api_url(state),
            websocket_url=state.outputs.get("WebSocketUrl"),
            api_key=state.api_key,
            database_url=state.database_url,
            outputs=dict(state.outputs),
            localstack_endpoint=next(f"http://127.0.0.1:{p.ports[0]}" for p in state.parts if p.name == "localstack"),
            triton_pid=next((p.pid for p in state.parts if p.name == "triton"), None),
            triton_ports=next((tuple(p.ports) for p in state.parts if p.name == "triton"), ()),
            console_url=state.console_url,
            logs=tuple((p.name, p.log) for p in state.parts if p.log),
        )
    finally:
        down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def api(local_cloud: LocalCloud) -> Iterator[httpx.Client]:
    with local_cloud.client() as client:
        yield client


@pytest.fixture(scope="session")
def make_key(local_cloud: LocalCloud) -> Callable[..., str]:
    """A new key of the dev tenant with the given scopes and limits (plaintext returned)."""
    service = get_api_key_service(local_cloud.database_url)
    tenant = get_repositories(local_cloud.database_url).tenants.get_by_name(DEV_TENANT)
    assert tenant is not None

    def make(scopes: list[Scope] | None = None, limits: KeyLimits | None = None, *, revoked: bool = False) -> str:
        created = service.create_key(tenant.id, "e2e", scopes or list(Scope), limits=limits)
        if revoked:
            service.revoke_key(tenant.id, created.key.id)
        return created.plaintext

    return make


def wav_bytes(raw_pcm16: bytes, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(raw_pcm16)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def goforward_wav() -> bytes:
    """A real recording (public domain, Debian pocketsphinx-testdata): 'go forward ten meters'."""
    return wav_bytes(GOFORWARD_RAW.read_bytes())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The load test (test_load.py) runs before every other e2e test, so it meets the stack's functions cold."""
    here = Path(__file__).parent
    load = [item for item in items if item.path == here / "test_load.py"]
    if load:
        rest = [item for item in items if item.path != here / "test_load.py"]
        first = next((i for i, item in enumerate(rest) if item.path.parent == here), len(rest))
        items[:] = rest[:first] + load + rest[first:]
