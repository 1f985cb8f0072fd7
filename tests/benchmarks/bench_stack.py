"""The local cloud a streaming benchmark runs against: a running one reused (its state folder in an environment
variable), or one brought up in a temporary folder and stopped after; and keys of the dev tenant whose request
limits never refuse a benchmark. Not a test module: bench_stream.py and bench_stream_tts.py share it."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from local_cloud.cloud_lifecycle import DEV_TENANT, LocalCloudState, down, state_path, up
from speech_core.db.repositories import get_repositories
from speech_core.keys import KeyLimits, Scope, get_api_key_service

GENEROUS_LIMITS = KeyLimits(per_minute=1_000_000, per_hour=10_000_000, per_day=100_000_000)


@contextmanager
def bench_stack(reuse_env: str, prefix: str) -> Iterator[LocalCloudState]:
    """The stack's state, with a WebSocket API; `reuse_env` names the variable holding a running stack's folder."""
    reuse = os.environ.get(reuse_env)
    state_dir = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix=prefix))
    started = time.perf_counter()
    state = LocalCloudState.model_validate_json(state_path(state_dir).read_text()) if reuse else up(state_dir)
    print(f"\nstack {'reused' if reuse else f'up in {time.perf_counter() - started:.0f} s'} ({state_dir})")
    try:
        assert state.database_url is not None and state.outputs.get("WebSocketUrl")
        yield state
    finally:
        if not reuse:
            down(state_dir)
            shutil.rmtree(state_dir, ignore_errors=True)


def bench_keys(state: LocalCloudState, names: Sequence[str], scopes: Sequence[Scope]) -> list[str]:
    """One dev-tenant key per name, with `scopes` and limits a benchmark never reaches."""
    assert state.database_url is not None
    tenant = get_repositories(state.database_url).tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    service = get_api_key_service(state.database_url)
    return [service.create_key(tenant.id, name, list(scopes), limits=GENEROUS_LIMITS).plaintext for name in names]
