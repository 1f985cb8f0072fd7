"""Local runtime benchmark: what the played API Gateway + Lambda add to a request, as ratios measured in this
one run (no timed asserts). `make bench-local-cloud`.

The fixture stack of tests/integration/local_cloud is deployed into a real LocalStack and played by the real
runtime process. Measured, sequentially then with 4 parallel clients (the function's concurrency cap):
the handler called in-process (baseline), GET through the REST gateway without an authorizer, with a cached
authorizer result, and with an authorizer call on every request (a new key each time).
"""

from __future__ import annotations

import importlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from local_cloud.cloudformation_deployer import deploy_stack, find_stack
from local_cloud.localstack_process import LocalStack
from local_cloud.runtime_launcher import start_runtime
from tests.integration.local_cloud import fixture_app

pytestmark = pytest.mark.benchmark
REQUESTS = 300


def _measure(call: Callable[[], object], requests: int = REQUESTS, concurrency: int = 1) -> dict[str, float]:
    latencies: list[float] = []

    def one(_: int) -> None:
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)

    for _ in range(10):  # warm workers and connections
        call()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1],
        "rps": requests / elapsed,
    }


def test_local_runtime_overhead() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-local-cloud-"))
    localstack = LocalStack(work / "localstack")
    localstack.start()
    runtime = None
    try:
        assembly = fixture_app.build(work / "cdk.out")
        deployed = deploy_stack(find_stack(assembly, fixture_app.STACK_NAME), localstack.endpoint)
        started = time.perf_counter()
        runtime = start_runtime(deployed, work / "runtime")
        runtime_start_s = time.perf_counter() - started
        api = runtime.outputs["ApiUrl"]
        client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=8))

        sys.path.insert(0, str(fixture_app.FUNCTIONS))
        echo = importlib.import_module("echo")

        class Context:
            aws_request_id = "bench"

            @staticmethod
            def get_remaining_time_in_millis() -> int:
                return 5000

        event = {
            "path": "/open",
            "queryStringParameters": None,
            "pathParameters": None,
            "isBase64Encoded": False,
            "requestContext": {},
        }
        os.environ.update({"GREETING": "x", "WORK_QUEUE_URL": "x"})
        fixed_key = {"x-api-key": "bench"}
        rows = {
            "handler in-process": _measure(lambda: echo.handler(event, Context())),
            "REST, no authorizer": _measure(lambda: client.get(api + "open").raise_for_status()),
            "REST, cached authorizer": _measure(
                lambda: client.get(api + "items/1", headers=fixed_key).raise_for_status()
            ),
            "REST, authorizer each request": _measure(
                lambda: client.get(api + "items/1", headers={"x-api-key": uuid.uuid4().hex}).raise_for_status()
            ),
            "REST, no authorizer, 4 clients": _measure(
                lambda: client.get(api + "open").raise_for_status(), concurrency=4
            ),
        }
        base = rows["REST, no authorizer"]["p50_ms"]
        print(f"\nruntime process start (bind, plan, ready file): {runtime_start_s:.2f} s")
        print(f"{'path':<34}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'p50 / REST no auth':>21}")
        for name, row in rows.items():
            print(
                f"{name:<34}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['rps']:>9.0f}{row['p50_ms'] / base:>21.2f}"
            )
    finally:
        if runtime is not None:
            runtime.stop()
        localstack.stop()
