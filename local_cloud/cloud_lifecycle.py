"""`up`, `down` and `status` of the whole local cloud.

`up` starts, in order: PostgreSQL (embedded, unless DATABASE_URL is set), migrations and a seeded dev tenant
and API key, Triton (the triton_cluster launcher), LocalStack, the `local` stage synthesized from the CDK app
and deployed into LocalStack, and the function runtime that plays the rest of that template. It waits until
GET /v1/health answers 200, prints the endpoints and the key, and records every PID it started in
.local/local-cloud.json. If any part fails, everything already started is stopped and the failing part's
log tail is reported. `down` stops exactly those PIDs (process groups) and checks that nothing is left
running or listening. `status` reports each part, and exits non-zero when one has died.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from local_cloud.child_processes import (
    ProcessFailedError,
    free_port,
    log_tail,
    pid_alive,
    start_process,
    stop_pid,
    wait_until,
)
from local_cloud.cloudformation_deployer import deploy_stack, find_stack
from local_cloud.localstack_process import LocalStack
from local_cloud.runtime_launcher import start_runtime
from local_cloud.runtime_plan import PLAYED_TYPE_PREFIXES

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = REPO_ROOT / ".local" / "cloud"
CONSOLE_DIST = REPO_ROOT / "console" / "dist"
DEV_TENANT = "dev"
HEALTH_PATH = "v1/health"


class Part(BaseModel):
    """One process `up` started."""

    name: str
    pid: int
    ports: list[int] = []
    log: str | None = None


class LocalCloudState(BaseModel):
    """What `up` wrote and `down`/`status` read (.local/cloud/local-cloud.json)."""

    parts: list[Part] = []
    postgres_data_dir: str | None = None
    database_url: str | None = None
    outputs: dict[str, str] = {}
    api_key: str | None = None
    #: the web console (console/dist served by local_cloud.console_server); None when it was not built
    console_url: str | None = None


def state_path(state_dir: Path) -> Path:
    return state_dir / "local-cloud.json"


def _save(state: LocalCloudState, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path(state_dir).write_text(state.model_dump_json(indent=2))


def _load(state_dir: Path) -> LocalCloudState | None:
    path = state_path(state_dir)
    return LocalCloudState.model_validate_json(path.read_text()) if path.exists() else None


def _say(message: str) -> None:
    print(f"[local-cloud] {message}", flush=True)


def up(state_dir: Path = DEFAULT_STATE_DIR, *, with_triton: bool = True) -> LocalCloudState:
    """Starts every part; returns the recorded state. Raises (after stopping what it started) on failure."""
    existing = _load(state_dir)
    if existing is not None and any(pid_alive(p.pid) for p in existing.parts):
        raise RuntimeError(f"the local cloud is already up (see {state_path(state_dir)}); run `make down` first")
    if existing is not None:
        down(state_dir)  # leftovers of a crashed run: stop what may remain, then start clean
    for stale in ("localstack-fs", "runtime", "cdk.out"):
        shutil.rmtree(state_dir / stale, ignore_errors=True)
    state = LocalCloudState()
    try:
        _up(state, state_dir, with_triton)
    except BaseException:
        _say("start failed; stopping what was started")
        down(state_dir)
        raise
    return state


def _up(state: LocalCloudState, state_dir: Path, with_triton: bool) -> None:
    started = time.monotonic()
    overrides: dict[str, str] = {}

    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        _say("PostgreSQL: using DATABASE_URL")
    else:
        from local_cloud.embedded_postgres import LocalPostgres

        data_dir = state_dir / "postgres"
        postgres = LocalPostgres(data_dir).start()
        state.postgres_data_dir = str(data_dir)
        state.parts.append(
            Part(name="postgres", pid=postgres.pid() or 0, ports=[postgres.port], log=str(postgres.log_path))
        )
        database_url = postgres.url
        _save(state, state_dir)
        _say(f"PostgreSQL ready on 127.0.0.1:{postgres.port}")
    state.database_url = database_url
    overrides["DATABASE_URL"] = database_url
    state.api_key = _migrate_and_seed(database_url)
    _save(state, state_dir)

    if with_triton:
        from triton_cluster.launcher import TritonServer

        triton = TritonServer(run_dir=state_dir / "triton")
        triton.start()
        assert triton.process is not None
        state.parts.append(
            Part(
                name="triton",
                pid=triton.process.pid,
                ports=[triton.http_port, triton.grpc_port, triton.metrics_port],
                log=str(triton.log_path),
            )
        )
        overrides["TRITON_URL"] = triton.grpc_url
        _save(state, state_dir)
        _say(f"Triton ready (gRPC {triton.grpc_url})")

    localstack = LocalStack(state_dir)
    try:
        localstack.start()
    finally:
        if localstack.pid:
            state.parts.append(
                Part(name="localstack", pid=localstack.pid, ports=[localstack.port], log=str(localstack.log_path))
            )
            _save(state, state_dir)
    _say(f"LocalStack ready on {localstack.endpoint}")

    # the console's port is chosen first: the local stage is synthesized with its origin, the one the API's CORS
    # allows (as an AWS stage's API allows its CloudFront address)
    console_port = free_port()
    console_origin = f"http://127.0.0.1:{console_port}"
    assembly = state_dir / "cdk.out"
    _synthesize(assembly, state_dir / "synth.log", console_origin)
    deployed = deploy_stack(find_stack(assembly), localstack.endpoint)
    _say(
        f"stack {deployed.stack.stack_name}: {len(deployed.physical_ids)} resources in LocalStack, "
        f"{len(deployed.played)} played by the runtime"
    )
    skipped = sorted({t for t in deployed.played.values() if not t.startswith(PLAYED_TYPE_PREFIXES)})
    if skipped:
        _say(f"not run locally (see docs/local-parity.md): {', '.join(skipped)}")

    runtime = start_runtime(deployed, state_dir / "runtime", env_overrides=overrides)
    ports = [int(api["url"].split(":")[2].split("/")[0]) for api in runtime.ready["apis"].values()]
    ports.append(int(runtime.ready["s3_endpoint"].rsplit(":", 1)[1]))  # the functions' S3 pass-through
    state.parts.append(Part(name="runtime", pid=runtime.pid, ports=ports, log=str(runtime.log_path)))
    state.outputs = runtime.outputs
    _save(state, state_dir)
    _start_console(state, state_dir, console_port, runtime.ready["s3_endpoint"])

    _wait_healthy(state, with_triton)
    _say(f"up in {time.monotonic() - started:.0f} s")


def _migrate_and_seed(database_url: str) -> str:
    """Applies migrations, ensures the dev tenant, and creates a fresh API key for it (printed once)."""
    from speech_core.db.migrations import upgrade_to_head
    from speech_core.db.repositories import get_repositories
    from speech_core.keys import Scope, get_api_key_service

    upgrade_to_head(database_url)
    tenants = get_repositories(database_url).tenants
    tenant = tenants.get_by_name(DEV_TENANT) or tenants.create(DEV_TENANT, "Local development")
    created = get_api_key_service(database_url).create_key(tenant.id, f"make-up-{int(time.time())}", list(Scope))
    _say(f"database migrated; tenant '{DEV_TENANT}' has a new key {created.key.prefix}…")
    return created.plaintext


def _start_console(state: LocalCloudState, state_dir: Path, port: int, s3_endpoint: str) -> None:
    """Serves the built console (console/dist) on `port`, its /config.json naming this cloud's API URLs."""
    if not (CONSOLE_DIST / "index.html").is_file():
        _say(f"web console not built ({CONSOLE_DIST} is missing; `make setup-console` builds it): not served")
        return
    log_path = state_dir / "console.log"
    argv = [sys.executable, "-m", "local_cloud.console_server", "--dist", str(CONSOLE_DIST), "--port", str(port)]
    argv += ["--api-url", _api_url(state), "--connect-origin", s3_endpoint]
    if state.outputs.get("WebSocketUrl"):
        argv += ["--websocket-url", state.outputs["WebSocketUrl"]]
    process = start_process("console", argv, log_path, cwd=REPO_ROOT)
    state.parts.append(Part(name="console", pid=process.pid, ports=[port], log=str(log_path)))
    _save(state, state_dir)
    url = f"http://127.0.0.1:{port}/"
    wait_until("console", lambda: _get(url + "config.json")[0] == 200, process.pid, log_path, 30)
    state.console_url = url
    _save(state, state_dir)
    _say(f"web console on {url}")


def _synthesize(outdir: Path, log_path: Path, console_origin: str) -> None:
    # in a child process: the CDK app runs its jsii (node) kernel, which need not outlive synthesis
    with log_path.open("wb") as log:
        result = subprocess.run(
            [sys.executable, "-m", "local_cloud.stage_synth", str(outdir), "local", console_origin],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise ProcessFailedError(f"cdk synth of the local stage failed:\n{log_tail(log_path)}")


def _wait_healthy(state: LocalCloudState, with_triton: bool, timeout_s: float = 60.0) -> None:
    url = _api_url(state) + HEALTH_PATH
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        _check_alive(state)
        status, body = _get(url)
        last = f"{status} {body[:500]}"
        if status == 200:
            return
        if status == 503 and not with_triton:
            checks = json.loads(body).get("checks", {})
            if checks.get("database", {}).get("status") == "ok":
                return  # without Triton only the database can be healthy
        time.sleep(0.5)
    raise ProcessFailedError(f"GET {url} never answered 200 (last: {last})")


def _api_url(state: LocalCloudState) -> str:
    for key in ("RestApiUrl", "RestApiEndpoint"):
        if key in state.outputs:
            return state.outputs[key]
    urls = [v for v in state.outputs.values() if v.startswith("http://127.0.0.1") and "/queue/" not in v]
    if not urls:
        raise ProcessFailedError(f"no REST API URL among the stack outputs {sorted(state.outputs)}")
    return urls[0]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error)


def _check_alive(state: LocalCloudState) -> None:
    for part in state.parts:
        if not pid_alive(part.pid):
            raise ProcessFailedError(f"{part.name} (pid {part.pid}) has exited:\n{log_tail(Path(part.log or ''))}")


def down(state_dir: Path = DEFAULT_STATE_DIR) -> list[str]:
    """Stops every part `up` recorded (newest first) and checks none is left running or listening.

    Returns the names of the parts that were still running."""
    state = _load(state_dir)
    if state is None:
        _say("nothing to stop (no state file)")
        return []
    stopped = []
    for part in reversed(state.parts):
        if part.name == "postgres" and state.postgres_data_dir:
            from local_cloud.embedded_postgres import LocalPostgres

            was_running = pid_alive(part.pid)
            LocalPostgres(Path(state.postgres_data_dir)).stop()
        else:
            was_running = stop_pid(part.pid)
        if was_running:
            stopped.append(part.name)
    leftovers = [p for p in state.parts if pid_alive(p.pid)]
    listening = [(p.name, port) for p in state.parts for port in p.ports if _listening(port)]
    if leftovers or listening:
        raise RuntimeError(f"still running after down: {[p.name for p in leftovers]}, listening: {listening}")
    state_path(state_dir).unlink(missing_ok=True)
    _say(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return stopped


def _listening(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def status(state_dir: Path = DEFAULT_STATE_DIR) -> dict[str, Any]:
    """Each part: running or not; plus the health route's answer. `ok` is False when a part has died."""
    state = _load(state_dir)
    if state is None:
        return {"ok": False, "parts": {}, "message": "not up (no state file)"}
    parts = {p.name: {"pid": p.pid, "running": pid_alive(p.pid), "ports": p.ports} for p in state.parts}
    report: dict[str, Any] = {"ok": all(p["running"] for p in parts.values()), "parts": parts}
    if parts.get("runtime", {}).get("running"):
        code, body = _get(_api_url(state) + HEALTH_PATH)
        report["health"] = {"status": code, "body": body[:500]}
    for name, part in parts.items():
        if not part["running"]:
            log = next(p.log for p in state.parts if p.name == name)
            part["log_tail"] = log_tail(Path(log), 10) if log else "(no log)"
    return report


def print_endpoints(state: LocalCloudState) -> None:
    """The endpoints and the dev key, for people."""
    print("\nLocal cloud is up.")
    if state.console_url:
        print(f"  {'Web console':<24} {state.console_url}   (paste the API key below)")
    for name in sorted(state.outputs):
        value = state.outputs[name]
        if value.startswith(("http://127.0.0.1", "ws://127.0.0.1")) and "/queue/" not in value:
            print(f"  {name:<24} {value}")
    print(f"  {'DATABASE_URL':<24} {state.database_url}")
    print(f"\n  API key (tenant '{DEV_TENANT}', all scopes; shown once): {state.api_key}")
    print(f"  Try: curl {_api_url(state)}{HEALTH_PATH}")
    print(f"       curl -H 'Authorization: Bearer {state.api_key}' {_api_url(state)}<route>")
    print("  Point the speech CLI and the Python client (client/README.md) at it:")
    websocket_url = state.outputs.get("WebSocketUrl")
    print(f"       export SPEECH_API_URL={_api_url(state)}")
    print(f"       export SPEECH_API_KEY={state.api_key}")
    if websocket_url:
        print(f"       export SPEECH_WS_URL={websocket_url}")
    print("       .venv/bin/speech models    # or: speech transcribe FILE, speech stream FILE, speech --help")
    print("  Stop everything with: make down\n")
