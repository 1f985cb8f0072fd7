"""lambda_workers: init limit (suppressed init), account pool, reserved concurrency, throttle reasons, init gate.

Real worker processes on a function written to tmp_path (no LocalStack): each case takes about a second.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from local_cloud.iam_role_policies import RoleSpec
from local_cloud.lambda_workers import (
    ACCOUNT_CONCURRENCY_ENV,
    ACCOUNT_LIMIT_REASON,
    CONCURRENT_INITS_ENV,
    INIT_TIMEOUT_ENV,
    RESERVED_LIMIT_REASON,
    AccountConcurrency,
    FunctionPool,
    InvokeResult,
    ThrottledError,
    _run_queue_wait_s,
)
from local_cloud.runtime_plan import FunctionSpec

FUNCTION = """
import os, time
time.sleep(float(os.environ["INIT_SECONDS"]))
if os.environ.get("INIT_RAISES"):
    raise RuntimeError("broken init")

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"remainingMs": context.get_remaining_time_in_millis(), "pid": os.getpid()}
"""


def _pool(
    tmp_path: Path,
    account: AccountConcurrency,
    *,
    name: str = "fn",
    init_s: float = 0.0,
    timeout_s: int = 3,
    reserved: int | None = None,
    **env: str,
) -> FunctionPool:
    (tmp_path / "slow.py").write_text(FUNCTION)
    spec = FunctionSpec(
        logical_id=name,
        name=name,
        handler="slow.handler",
        runtime="python3.12",
        code_dir=tmp_path,
        layer_dirs=[],
        environment={"INIT_SECONDS": str(init_s), **env},
        timeout_s=timeout_s,
        memory_mb=128,
        reserved_concurrency=reserved,
        role=RoleSpec(logical_id="Role", name="role", policies=[]),
    )
    return FunctionPool(spec, {"PATH": os.environ.get("PATH", "")}, account)


def _run(pool: FunctionPool, *events: dict[str, float]) -> list[InvokeResult]:
    async def main() -> list[InvokeResult]:
        try:
            return await asyncio.gather(*(pool.invoke(e, wait_for_slot=True) for e in events))
        finally:
            await pool.close()

    return asyncio.run(main())


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ACCOUNT_CONCURRENCY_ENV, "7")
    monkeypatch.setenv(CONCURRENT_INITS_ENV, "3")
    monkeypatch.setenv(INIT_TIMEOUT_ENV, "1.5")
    account = AccountConcurrency()
    assert (account.limit, account.concurrent_inits, account.init_timeout_s) == (7, 3, 1.5)
    monkeypatch.setenv(INIT_TIMEOUT_ENV, "0")
    with pytest.raises(ValueError, match=INIT_TIMEOUT_ENV):
        AccountConcurrency()


def test_reserved_concurrency_comes_out_of_the_pool(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=5, concurrent_inits=1, init_timeout_s=10)
    reserved = _pool(tmp_path, account, name="reserved", reserved=2)
    shared = _pool(tmp_path, account, name="shared")
    assert (reserved.max_concurrency, shared.max_concurrency) == (2, 3)
    with pytest.raises(ValueError, match="leaves no unreserved concurrency"):
        _pool(tmp_path, account, name="greedy", reserved=3)


def test_throttle_reasons_name_the_cap_that_was_hit(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=3, concurrent_inits=1, init_timeout_s=10)
    reserved = _pool(tmp_path, account, name="reserved", reserved=1)
    shared = _pool(tmp_path, account, name="shared")
    reserved._busy = 1
    account.unreserved_in_use = 2
    with pytest.raises(ThrottledError) as at_reserved:
        asyncio.run(reserved.invoke({}))
    with pytest.raises(ThrottledError) as at_account:
        asyncio.run(shared.invoke({}))
    assert at_reserved.value.reason == RESERVED_LIMIT_REASON
    assert at_account.value.reason == ACCOUNT_LIMIT_REASON


def test_init_past_the_limit_is_suppressed_and_counts_against_the_timeout(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=10, concurrent_inits=2, init_timeout_s=0.3)
    (result,) = _run(_pool(tmp_path, account, init_s=1.5, timeout_s=4), {})
    assert result.ok, result.error
    assert result.cold_start
    # 4 s from the invocation's start, the 1.5 s init included (slack: time spent waiting for a CPU is not counted)
    assert result.payload["remainingMs"] <= 2500 + 800


def test_init_within_the_limit_does_not_count_against_the_timeout(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=10, concurrent_inits=2, init_timeout_s=5)
    (result,) = _run(_pool(tmp_path, account, init_s=1.0, timeout_s=3), {})
    assert result.ok, result.error
    assert result.payload["remainingMs"] > 2500


def test_init_longer_than_the_timeout_is_a_task_timeout(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=10, concurrent_inits=2, init_timeout_s=0.3)
    (result,) = _run(_pool(tmp_path, account, init_s=5.0, timeout_s=1), {})
    assert result.error is not None
    assert result.error["errorType"] == "Sandbox.Timedout"
    assert result.error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert result.duration_ms < 3000


def test_init_that_raises_is_an_import_module_error_even_past_the_limit(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=10, concurrent_inits=2, init_timeout_s=0.3)
    (result,) = _run(_pool(tmp_path, account, init_s=0.6, INIT_RAISES="1"), {})
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.ImportModuleError"


def test_a_cold_burst_waits_for_the_init_gate_and_idle_workers_instead_of_failing(tmp_path: Path) -> None:
    account = AccountConcurrency(limit=10, concurrent_inits=1, init_timeout_s=0.2)
    results = _run(_pool(tmp_path, account, init_s=0.5, timeout_s=2), *({"sleep": 0.05} for _ in range(6)))
    assert [r.error for r in results] == [None] * 6
    assert account.initializing == 0 and account.unreserved_in_use == 0


def test_run_queue_wait_is_read_from_schedstat_and_zero_when_unknown() -> None:
    assert _run_queue_wait_s(os.getpid()) >= 0
    assert _run_queue_wait_s(2**30) == 0


def test_one_function_keeps_at_most_its_environments_and_queues_the_rest(tmp_path: Path) -> None:
    # Given a cap of one environment per function (local only: environments share this machine's cores)
    account = AccountConcurrency(limit=64, concurrent_inits=4)
    account.environments_per_function = 1
    pool = _pool(tmp_path, account)
    # When three calls arrive at once, Then all succeed, served one after another by the same worker
    results = _run(pool, {"sleep": 0.2}, {"sleep": 0.2}, {"sleep": 0.2})
    assert all(r.ok for r in results), [r.error for r in results]
    assert len({r.payload["pid"] for r in results}) == 1
    assert sum(r.cold_start for r in results) == 1
