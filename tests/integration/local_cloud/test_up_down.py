"""`up` brings the whole local cloud up (PostgreSQL, Triton, LocalStack + the real `local` stage, the
function runtime); health and an authorized route work end to end; `down` leaves nothing running."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra_cdk.function_catalog import FUNCTIONS
from local_cloud.child_processes import pid_alive
from local_cloud.cloud_lifecycle import LocalCloudState, state_path

pytestmark = pytest.mark.integration
REPO_ROOT = Path(__file__).resolve().parents[3]


def _cli(command: str, state_dir: Path, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local_cloud", command, "--state-dir", str(state_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    # outside pytest's tmp dirs: the embedded PostgreSQL runs as an unprivileged user (see tests/integration)
    path = Path(tempfile.mkdtemp(prefix="speech-local-cloud-"))
    yield path
    if state_path(path).exists():
        _cli("down", path, 120)
    shutil.rmtree(path, ignore_errors=True)


def _authorized_get_path() -> str:
    """An authorized GET route of the function catalog (the source the CDK app builds routes from)."""
    return next(
        route.path
        for spec in FUNCTIONS
        for route in spec.rest_routes
        if route.method == "GET" and route.authorized and "{" not in route.path
    )


def test_up_serves_health_and_authorized_routes_then_down_leaves_nothing(state_dir: Path) -> None:
    # Given the local cloud brought up with one command
    result = _cli("up", state_dir, 480)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    state = LocalCloudState.model_validate_json(state_path(state_dir).read_text())
    assert {p.name for p in state.parts} == {"postgres", "triton", "localstack", "runtime", "console"}
    assert state.api_key and state.api_key in result.stdout
    api = state.outputs["RestApiUrl"]

    # When a client calls the health route (no key): database and Triton are checked for real
    health = httpx.get(api + "v1/health", timeout=30)
    assert health.status_code == 200, health.text
    assert {name: check["status"] for name, check in health.json()["checks"].items()} == {
        "database": "ok",
        "triton": "ok",
    }

    # And an authorized route: no key -> 401, a wrong key -> 403, the seeded key passes the authorizer
    path = api + _authorized_get_path().lstrip("/")
    assert httpx.get(path, timeout=30).status_code == 401
    assert httpx.get(path, headers={"Authorization": "spk_wrong_000000000000"}, timeout=30).status_code == 403
    allowed = httpx.get(path, headers={"Authorization": f"Bearer {state.api_key}"}, timeout=60)
    assert allowed.status_code == 200, allowed.text

    status = _cli("status", state_dir, 60)
    assert status.returncode == 0 and json.loads(status.stdout)["ok"] is True

    # Then down stops every process up started and nothing listens on their ports any more
    result = _cli("down", state_dir, 120)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in state.parts if pid_alive(p.pid)] == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(api + "v1/health", timeout=5)
    assert not state_path(state_dir).exists()


def test_status_reports_a_crashed_part(tmp_path: Path) -> None:
    # a state file naming a process that no longer exists: status must say so (exit 1), not hide it
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = LocalCloudState(parts=[{"name": "runtime", "pid": dead.pid, "ports": [], "log": None}])
    state_path(tmp_path).write_text(state.model_dump_json())
    result = _cli("status", tmp_path, 60)
    assert result.returncode == 1
    assert json.loads(result.stdout)["parts"]["runtime"]["running"] is False
