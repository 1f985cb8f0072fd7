"""LocalStack Community, run without Docker from its own virtualenv (.venvs/localstack, `make setup-localstack`).

Started as `localstack_main.py` (LocalStack's `localstack.runtime.main` behind one Step Functions fix) with the
environment measured on this kind of machine (docs/local-parity.md), bound to 127.0.0.1 on a port chosen at run
time, health-checked on /_localstack/health, stopped by PID.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local_cloud.child_processes import free_port, start_process, stop_pid, wait_until

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCALSTACK_PYTHON = REPO_ROOT / ".venvs" / "localstack" / "bin" / "python"
#: LocalStack's own entry point behind one Step Functions fix (see that module)
LOCALSTACK_MAIN = Path(__file__).resolve().parent / "localstack_main.py"
#: services the local cloud deploys into; LocalStack loads services lazily, these must answer
REQUIRED_SERVICES = ("cloudformation", "s3", "sqs", "stepfunctions", "ssm", "iam")


@dataclass
class LocalStack:
    """One LocalStack process; `endpoint` is its gateway URL once started."""

    state_dir: Path
    port: int = 0
    pid: int | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "localstack.log"

    def start(self, timeout_s: float = 60.0) -> None:
        """Starts LocalStack and waits for its health endpoint to report the required services."""
        if not LOCALSTACK_PYTHON.exists():
            raise FileNotFoundError(f"{LOCALSTACK_PYTHON} missing: run `make setup-localstack`")
        self.port = self.port or free_port()
        fs_root = self.state_dir / "localstack-fs"
        fs_root.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV", "PYTHON"))}
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
                "GATEWAY_SERVER": "hypercorn",
                "DNS_ADDRESS": "0",
                "OVERRIDE_IN_DOCKER": "0",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "DISABLE_EVENTS": "1",
                "FILESYSTEM_ROOT": str(fs_root),
                "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
                # queue URLs as http://127.0.0.1:<port>/queue/...: resolvable without LocalStack DNS
                "SQS_ENDPOINT_STRATEGY": "path",
            }
        )
        process = start_process(
            "localstack",
            [str(LOCALSTACK_PYTHON), str(LOCALSTACK_MAIN)],
            self.log_path,
            env=env,
            cwd=self.state_dir,
        )
        self.pid = process.pid
        wait_until("LocalStack", self.healthy, self.pid, self.log_path, timeout_s)

    def healthy(self) -> bool:
        """True when the gateway answers and every required service is available or running."""
        with urllib.request.urlopen(f"{self.endpoint}/_localstack/health", timeout=2) as response:
            services = json.loads(response.read())["services"]
        return all(services.get(name) in ("available", "running") for name in REQUIRED_SERVICES)

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid)
            self.pid = None
