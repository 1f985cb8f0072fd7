"""Starts the local function runtime (runtime_server.py) as a child process and waits for its ready file."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.child_processes import start_process, stop_pid, wait_until
from local_cloud.cloudformation_deployer import DeployedStack

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RuntimeProcess:
    pid: int
    log_path: Path
    ready: dict[str, Any]

    @property
    def outputs(self) -> dict[str, str]:
        return dict(self.ready["outputs"])

    def stop(self) -> None:
        stop_pid(self.pid)


def start_runtime(
    deployed: DeployedStack,
    state_dir: Path,
    ws_idle_timeout_s: float | None = None,
    env_overrides: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> RuntimeProcess:
    """Starts runtime_server.py for `deployed`; returns once it has bound its ports and written its ready file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    deployed_path = state_dir / "deployed.json"
    deployed_path.write_text(deployed.model_dump_json(indent=2))
    ready_file = state_dir / "runtime-ready.json"
    ready_file.unlink(missing_ok=True)
    log_path = state_dir / "runtime.log"
    argv = [
        sys.executable,
        "-m",
        "local_cloud.runtime_server",
        "--deployed",
        str(deployed_path),
        "--state-dir",
        str(state_dir),
        "--ready-file",
        str(ready_file),
    ]
    if ws_idle_timeout_s is not None:
        argv += ["--ws-idle-timeout", str(ws_idle_timeout_s)]
    for key, value in (env_overrides or {}).items():
        argv += ["--env-override", f"{key}={value}"]
    process = start_process("runtime", argv, log_path, cwd=REPO_ROOT)
    wait_until("function runtime", ready_file.exists, process.pid, log_path, timeout_s)
    return RuntimeProcess(pid=process.pid, log_path=log_path, ready=json.loads(ready_file.read_text()))
