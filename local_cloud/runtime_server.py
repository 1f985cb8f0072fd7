"""The local function runtime process: plays the template's Lambda functions, APIs and event-source mappings.

    python -m local_cloud.runtime_server --deployed DEPLOYED.json --state-dir DIR --ready-file READY.json

Binds one 127.0.0.1 port per API (chosen by the kernel) and one for the functions' S3 endpoint (the
presigned-URL-checking pass-through to LocalStack, s3_presign_proxy.py), builds the runtime plan (so
environment variables that name an API hold its local URL), writes each function's role for its workers to
enforce (`<state-dir>/iam/<function>.json`), serves until SIGTERM/SIGINT, then stops every worker it started.
`--env-override KEY=VALUE` replaces a variable where the template declares it (the local stage names
127.0.0.1:5432 for PostgreSQL; the local run's servers listen on free ports).
The ready file (written last) holds the stack outputs with local values and each API's endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from local_cloud.cloudformation_deployer import DeployedStack
from local_cloud.iam_role_policies import write_policy_file
from local_cloud.lambda_workers import AccountConcurrency, FunctionPool, worker_base_env
from local_cloud.rest_gateway import RestGateway
from local_cloud.runtime_plan import LocalEndpoints, api_logical_ids, build_plan
from local_cloud.s3_presign_proxy import S3PresignProxy
from local_cloud.sqs_event_sources import SqsPoller
from local_cloud.template_split import api_id
from local_cloud.websocket_gateway import IDLE_TIMEOUT_S, WebSocketGateway


def _bind() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def serve(
    deployed: DeployedStack, state_dir: Path, ready_file: Path, idle_timeout_s: float, env_overrides: dict[str, str]
) -> None:
    sockets = {lid: _bind() for lid in api_logical_ids(deployed.stack.template())}
    endpoints = LocalEndpoints(
        http_base={api_id(lid): f"http://127.0.0.1:{s.getsockname()[1]}" for lid, s in sockets.items()}
    )
    plan = build_plan(deployed, endpoints, state_dir)
    for spec in plan.functions.values():
        # Only variables the template declares: the local run supplies where its own servers listen
        # (PostgreSQL, Triton on free ports), it never adds configuration the template lacks.
        spec.environment.update({k: v for k, v in env_overrides.items() if k in spec.environment})
    s3_socket = _bind()
    s3_endpoint = f"http://127.0.0.1:{s3_socket.getsockname()[1]}"
    base_env = worker_base_env(plan.localstack_endpoint, s3_endpoint)
    # one account: its concurrency pool (reserved concurrency carved out of it) and the init gate
    account = AccountConcurrency()
    print(
        f"[runtime] account concurrency {account.limit}, {account.concurrent_inits} inits at once, "
        f"init limit {account.init_timeout_s:g} s",
        flush=True,
    )
    pools = {
        name: FunctionPool(
            spec,
            base_env,
            account,
            iam_policy_file=write_policy_file(state_dir / "iam" / f"{name}.json", name, spec.role, plan.account),
        )
        for name, spec in plan.functions.items()
    }
    s3_proxy = S3PresignProxy(plan.localstack_endpoint, {name: spec.role for name, spec in plan.functions.items()})
    runners: list[web.AppRunner] = [await _start(s3_proxy.app, s3_socket)]
    apis: dict[str, Any] = {}
    for rest_api in plan.rest_apis:
        gateway = RestGateway(rest_api, pools)
        runners.append(await _start(gateway.app, sockets[rest_api.logical_id]))
        url = f"{endpoints.http_base[rest_api.api_id]}/{rest_api.stage}/"
        apis[rest_api.logical_id] = {"kind": "rest", "url": url}
    for ws_api in plan.websocket_apis:
        ws_gateway = WebSocketGateway(ws_api, pools, idle_timeout_s=idle_timeout_s)
        runners.append(await _start(ws_gateway.app, sockets[ws_api.logical_id]))
        base = endpoints.http_base[ws_api.api_id]
        apis[ws_api.logical_id] = {
            "kind": "websocket",
            "url": f"{base.replace('http://', 'ws://')}/{ws_api.stage}",
            "connections_url": f"{base}/{ws_api.stage}",
        }
    pollers = [SqsPoller(m, pools[m.function], plan.localstack_endpoint) for m in plan.mappings if m.enabled]
    poll_tasks = [asyncio.create_task(p.run()) for p in pollers]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = {
        "pid": os.getpid(),
        "outputs": plan.outputs,
        "apis": apis,
        "s3_endpoint": s3_endpoint,
        "functions": sorted(plan.functions),
        "mappings": [m.logical_id for m in plan.mappings],
    }
    tmp = ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(ready, indent=2))
    tmp.replace(ready_file)
    print(f"[runtime] ready: {json.dumps(apis)}", flush=True)
    await stop.wait()
    print("[runtime] stopping", flush=True)
    for poller in pollers:
        poller.stop()
    await asyncio.wait(poll_tasks, timeout=5)
    for runner in runners:
        await runner.cleanup()
    for pool in pools.values():
        await pool.close()


async def _start(app: web.Application, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployed", type=Path, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument(
        "--ws-idle-timeout", type=float, default=IDLE_TIMEOUT_S, help="seconds (API Gateway: 600); tests shorten it"
    )
    parser.add_argument(
        "--env-override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="replace a template environment variable where a function declares it",
    )
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.env_override)
    deployed = DeployedStack.model_validate_json(args.deployed.read_text())
    asyncio.run(serve(deployed, args.state_dir, args.ready_file, args.ws_idle_timeout, overrides))
    sys.exit(0)


if __name__ == "__main__":
    main()
