"""Lambda's init phase, concurrency and throttling, played by real worker processes behind the REST gateway.

The runtime's init limit is INIT_LIMIT_S here (LOCAL_CLOUD_LAMBDA_INIT_TIMEOUT_S; AWS: 10 s). An init that
passes it is not an error: as AWS's suppressed init, it goes on inside the first invocation under the
function's own timeout, counted from the invocation's start.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from local_cloud.runtime_launcher import RuntimeProcess
from tests.integration.local_cloud.fixture_app import (
    BURST_INIT_CPU_S,
    INIT_LIMIT_S,
    OVER_TIMEOUT_INIT_S,
    OVER_TIMEOUT_TIMEOUT_S,
    SLOW_INIT_S,
)

pytestmark = pytest.mark.integration

BURST = 10


def _log(runtime: RuntimeProcess) -> str:
    return Path(runtime.log_path).read_text()


def test_init_past_the_init_limit_still_answers_within_the_function_timeout(
    outputs: dict[str, str], local_cloud: RuntimeProcess
) -> None:
    assert SLOW_INIT_S > INIT_LIMIT_S
    response = httpx.get(outputs["ApiUrl"] + "init/slow", timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["initSeconds"] >= SLOW_INIT_S
    # suppressed init: the 10 s timeout counts from the invocation's start, the init included (a timer started
    # after the init would leave ~10 000 ms; slack for the time the worker waited for a CPU, which is not counted)
    assert 0 < body["remainingMs"] <= (10 - SLOW_INIT_S) * 1000 + 2000
    assert "Phase: init Status: timeout" in _log(local_cloud)


def test_burst_of_cold_requests_with_a_slow_init_all_succeed(outputs: dict[str, str]) -> None:
    # BURST cold environments whose init burns BURST_INIT_CPU_S of CPU each, all at once: on a 2-core machine
    # their inits would take ~BURST * BURST_INIT_CPU_S / 2 s each if started together
    def call(_: int) -> int:
        return httpx.get(outputs["ApiUrl"] + "init/burst", timeout=60).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(BURST) as pool:
        statuses = list(pool.map(call, range(BURST)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * BURST, f"{statuses} after {elapsed:.1f} s (init {BURST_INIT_CPU_S} s CPU each)"


def test_init_longer_than_the_whole_timeout_fails_with_the_timeout_error(
    outputs: dict[str, str], local_cloud: RuntimeProcess
) -> None:
    started = time.monotonic()
    response = httpx.get(outputs["ApiUrl"] + "init/over-timeout", timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 502  # a function error through the proxy integration
    assert response.json() == {"message": "Internal server error"}
    # ended by the function's timeout (3 s from the invocation's start; the init limit is 2 s), not by the init
    assert elapsed < OVER_TIMEOUT_INIT_S - 2
    log = _log(local_cloud)
    assert "error Sandbox.Timedout" in log
    assert f"Task timed out after {OVER_TIMEOUT_TIMEOUT_S:.2f} seconds" in log


def test_reserved_concurrency_of_one_throttles_the_second_request_as_api_gateway_does(outputs: dict[str, str]) -> None:
    url = outputs["ApiUrl"] + "reserved"
    assert httpx.get(url, timeout=30).status_code == 200  # warm
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.get, url, params={"sleep": "3"}, timeout=30)
        time.sleep(1)
        second = httpx.get(url, timeout=30)
        assert first.result().status_code == 200
    # Lambda answers 429 TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded);
    # API Gateway's Lambda proxy integration turns it into 500 "Internal server error"
    assert second.status_code == 500
    assert second.json() == {"message": "Internal server error"}
    assert second.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert httpx.get(url, timeout=30).status_code == 200  # the slot is free again
