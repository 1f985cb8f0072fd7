"""Plays AWS Lambda: each function runs in worker processes with its template environment.

Semantics kept from Lambda: the configured timeout (the worker is killed and the invocation fails with
"Task timed out"), a context with request id and remaining time, warm reuse of idle workers (module state
survives between invocations, cold start on first use or after a crash/timeout), the 6 MB synchronous
response limit, and:

- the init phase (imports and module-level code) limited to 10 s (LOCAL_CLOUD_LAMBDA_INIT_TIMEOUT_S); an init
  that passes it is no error: as AWS's "suppressed init" of an on-demand function, it goes on inside the first
  invocation under the function's own timeout, counted from the invocation's start (init included), and only
  that timeout fails it (Sandbox.Timedout, "Task timed out after N seconds"). An init that raises fails as
  Runtime.ImportModuleError; a worker that exits during init as Runtime.InitError.
- concurrency: a function with ReservedConcurrentExecutions runs at most that many at once (taken out of the
  account pool); every other function shares the rest of the account pool (AWS: 1000 per Region; locally
  LOCAL_CLOUD_ACCOUNT_CONCURRENCY, default DEFAULT_ACCOUNT_CONCURRENCY). A synchronous caller past the cap is
  throttled (ThrottledError: Lambda's 429 TooManyRequestsException, with its Reason); queue and async callers
  wait for a slot (`wait_for_slot`).
- local only, no AWS counterpart: at most LOCAL_CLOUD_CONCURRENT_INITS workers (default: the CPU count)
  initialize at once across the runtime, so a cold burst does not thrash a small machine; an invocation that
  needs a new worker waits for an init slot or for a worker of its function to become idle, whichever first.
  And one function keeps at most LOCAL_CLOUD_ENVIRONMENTS_PER_FUNCTION workers (default: the CPU count):
  past that an invocation waits for one of them instead of starting another. AWS would start more
  environments, each with CPUs of its own; here they would share the same few cores, so more of them only
  adds cold starts (imports, first-call loads) competing with the calls they were meant to speed up.

Each function's AWS SDK calls carry its own access key id and are checked against its role
(LOCAL_CLOUD_IAM_POLICY_FILE, see lambda_worker_main.py and iam_enforcement.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_cloud.cfn_intrinsics import ACCOUNT_ID, REGION
from local_cloud.iam_role_policies import function_access_key_id
from local_cloud.lambda_worker_main import IAM_POLICY_FILE_ENV
from local_cloud.runtime_plan import FunctionSpec

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
_PIPE_LIMIT = 64 * 1024 * 1024
_WORKER_MAIN = Path(__file__).with_name("lambda_worker_main.py")

INIT_TIMEOUT_ENV = "LOCAL_CLOUD_LAMBDA_INIT_TIMEOUT_S"
INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit for on-demand functions (imports and module-level code)
ACCOUNT_CONCURRENCY_ENV = "LOCAL_CLOUD_ACCOUNT_CONCURRENCY"
#: AWS's default is 1000 per Region; locally every execution is a process on this machine, so far fewer
DEFAULT_ACCOUNT_CONCURRENCY = 64
CONCURRENT_INITS_ENV = "LOCAL_CLOUD_CONCURRENT_INITS"
ENVIRONMENTS_PER_FUNCTION_ENV = "LOCAL_CLOUD_ENVIRONMENTS_PER_FUNCTION"

_INIT_POLL_S = 0.1

RESERVED_LIMIT_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT_REASON = "ConcurrentInvocationLimitExceeded"


class ThrottledError(RuntimeError):
    """The function is at its concurrency cap (Lambda's 429 TooManyRequestsException); `reason` as AWS's."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _env_number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = float(raw)
    if value < minimum:
        raise ValueError(f"{name}={raw}: must be at least {minimum}")
    return value


def _run_queue_wait_s(pid: int) -> float:
    """Seconds the process's threads have waited, runnable, for a CPU (Linux /proc/<pid>/task/*/schedstat:
    on-CPU ns, run-queue wait ns, timeslices); 0 where the kernel does not say."""
    total = 0
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


class AccountConcurrency:
    """The account's concurrency pool and the runtime's init gate, shared by every FunctionPool.

    `limit`: the account's concurrent executions (reserved concurrency is carved out of it, the rest is
    shared by the other functions); `concurrent_inits`: how many workers may be in their init phase at once
    (local only); `init_timeout_s`: Lambda's init limit. `changed` is notified on every change of the pool,
    the init gate or a function's idle workers.
    """

    def __init__(
        self,
        limit: int | None = None,
        concurrent_inits: int | None = None,
        init_timeout_s: float | None = None,
    ) -> None:
        self.limit = (
            limit if limit is not None else int(_env_number(ACCOUNT_CONCURRENCY_ENV, DEFAULT_ACCOUNT_CONCURRENCY, 1))
        )
        self.concurrent_inits = (
            concurrent_inits
            if concurrent_inits is not None
            else int(_env_number(CONCURRENT_INITS_ENV, os.cpu_count() or 2, 1))
        )
        self.init_timeout_s = (
            init_timeout_s if init_timeout_s is not None else _env_number(INIT_TIMEOUT_ENV, INIT_TIMEOUT_S, 0.1)
        )
        self.environments_per_function = int(_env_number(ENVIRONMENTS_PER_FUNCTION_ENV, os.cpu_count() or 2, 1))
        self.reserved = 0
        self.unreserved_in_use = 0
        self.initializing = 0
        self.changed = asyncio.Condition()

    @classmethod
    def from_environment(cls) -> AccountConcurrency:
        return cls()

    def reserve(self, function: str, count: int) -> None:
        """Carves `count` executions out of the pool for `function` (PutFunctionConcurrency)."""
        if self.reserved + count >= self.limit:
            raise ValueError(
                f"{function}: ReservedConcurrentExecutions {count} leaves no unreserved concurrency in the local "
                f"account pool of {self.limit} ({self.reserved} already reserved); raise {ACCOUNT_CONCURRENCY_ENV}"
            )
        self.reserved += count

    @property
    def unreserved_free(self) -> int:
        return self.limit - self.reserved - self.unreserved_in_use

    @property
    def init_slot_free(self) -> bool:
        return self.initializing < self.concurrent_inits


@dataclass
class InvokeResult:
    """The outcome of one invocation: `payload` on success, `error` ({errorType, errorMessage}) on failure."""

    request_id: str
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    cold_start: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(eq=False)
class _Worker:
    process: asyncio.subprocess.Process
    invocations: int = 0


@dataclass
class FunctionPool:
    """The execution environments of one function."""

    spec: FunctionSpec
    base_env: dict[str, str]
    #: the account pool this function draws from; one of its own (from the environment) when not given
    account: AccountConcurrency = field(default_factory=AccountConcurrency.from_environment)
    #: the function's role for its workers to enforce (iam_role_policies.write_policy_file); None: not enforced
    iam_policy_file: Path | None = None
    _idle: list[_Worker] = field(default_factory=list)
    _busy: int = 0
    _all: set[_Worker] = field(default_factory=set)
    _starting: int = 0  # workers being started (an init slot taken, not yet ready or failed)

    def __post_init__(self) -> None:
        if self.spec.reserved_concurrency is not None:
            self.account.reserve(self.spec.name, self.spec.reserved_concurrency)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.spec.name}"

    @property
    def max_concurrency(self) -> int:
        """The most executions of this function at once: its reserved concurrency, else the unreserved pool."""
        if self.spec.reserved_concurrency is not None:
            return self.spec.reserved_concurrency
        return self.account.limit - self.account.reserved

    def _has_slot(self) -> bool:
        if self.spec.reserved_concurrency is not None:
            return self._busy < self.spec.reserved_concurrency
        return self.account.unreserved_free > 0

    async def invoke(self, event: Any, *, wait_for_slot: bool = False) -> InvokeResult:
        """Runs the handler on `event`; raises ThrottledError at the cap unless `wait_for_slot`."""
        changed = self.account.changed
        reserved = self.spec.reserved_concurrency is not None
        async with changed:
            if not self._has_slot():
                if not wait_for_slot:
                    reason = RESERVED_LIMIT_REASON if reserved else ACCOUNT_LIMIT_REASON
                    self._log(f"throttled: 429 TooManyRequestsException ({reason}) at {self._busy} running")
                    raise ThrottledError(
                        f"Rate Exceeded. ({reason}: {self.spec.name} at {self._busy} concurrent executions)", reason
                    )
                await changed.wait_for(self._has_slot)
            self._busy += 1
            if not reserved:
                self.account.unreserved_in_use += 1
        try:
            return await self._invoke_in_worker(event)
        finally:
            async with changed:
                self._busy -= 1
                if not reserved:
                    self.account.unreserved_in_use -= 1
                changed.notify_all()

    async def _take_idle_or_init_slot(self) -> _Worker | None:
        """An idle worker of this function, or None once an init slot is ours (the caller starts a worker)."""
        changed = self.account.changed
        async with changed:
            await changed.wait_for(
                lambda: (
                    bool(self._idle)
                    or (
                        self.account.init_slot_free
                        and len(self._all) + self._starting < self.account.environments_per_function
                    )
                )
            )
            if self._idle:
                return self._idle.pop()
            self.account.initializing += 1
            self._starting += 1
            return None

    async def _release_init_slot(self) -> None:
        async with self.account.changed:
            self.account.initializing -= 1
            self._starting -= 1
            self.account.changed.notify_all()

    async def _return_idle(self, worker: _Worker) -> None:
        async with self.account.changed:
            self._idle.append(worker)
            self.account.changed.notify_all()

    async def _invoke_in_worker(self, event: Any) -> InvokeResult:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        worker = await self._take_idle_or_init_slot()
        result = InvokeResult(request_id=request_id, cold_start=worker is None)
        timeout_s = float(self.spec.timeout_s)
        deadline: float | None = None  # monotonic; set by a suppressed init, else when the handler starts
        if worker is None:
            try:
                worker, deadline, error = await self._init_worker(request_id, timeout_s)
            finally:
                await self._release_init_slot()
            if error is not None:
                result.error = error
                return self._finish(result, started)
            assert worker is not None
        if deadline is None:
            started = time.monotonic()
            deadline = started + timeout_s
        remaining_s = max(0.0, deadline - time.monotonic())
        request = {
            "event": event,
            "request_id": request_id,
            "deadline_ms": int(time.time() * 1000 + remaining_s * 1000),
            "invoked_function_arn": self.arn,
        }
        try:
            assert worker.process.stdin is not None and worker.process.stdout is not None
            worker.process.stdin.write(json.dumps(request).encode() + b"\n")
            await worker.process.stdin.drain()
            line = await asyncio.wait_for(worker.process.stdout.readline(), timeout=remaining_s)
        except TimeoutError:
            await self._discard(worker)
            result.error = self._timed_out(request_id, timeout_s)
            return self._finish(result, started)
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            code = await self._discard(worker)
            result.error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with status {code}",
            }
            return self._finish(result, started)
        answer = json.loads(line)
        worker.invocations += 1
        if "error" in answer:
            result.error = answer["error"]
            if answer["error"].get("errorType") == "Runtime.ImportModuleError":
                await self._discard(worker)
            else:
                await self._return_idle(worker)
        elif len(line) > MAX_RESPONSE_BYTES:
            await self._return_idle(worker)
            result.error = {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": f"Response payload size ({len(line)} bytes) exceeded maximum allowed "
                f"payload size ({MAX_RESPONSE_BYTES} bytes).",
            }
        else:
            await self._return_idle(worker)
            result.payload = answer["result"]
        return self._finish(result, started)

    @staticmethod
    def _timed_out(request_id: str, timeout_s: float) -> dict[str, Any]:
        return {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"{request_id} Task timed out after {timeout_s:.2f} seconds",
        }

    async def _init_worker(
        self, request_id: str, timeout_s: float
    ) -> tuple[_Worker | None, float | None, dict[str, Any] | None]:
        """Starts a worker and waits for its init phase: (worker, deadline, None) once it is ready, where
        `deadline` (monotonic) is set when the init passed the init limit (suppressed init: the function's
        timeout counts from the invocation's start, the init included); (None, None, error) when the init
        exited or used up the function's timeout.

        Init time is the worker's own: wall time less the time it sat runnable in this machine's run queue
        (Linux schedstat), so a healthy init is not failed only because other processes had the CPUs."""
        init_started = time.monotonic()
        worker = await self._start_worker()
        assert worker.process.stdout is not None
        pid = worker.process.pid
        ready = asyncio.ensure_future(worker.process.stdout.readline())
        limit_s = self.account.init_timeout_s
        suppressed = False
        init_s = 0.0
        while True:
            done, _ = await asyncio.wait({ready}, timeout=_INIT_POLL_S)
            init_s = time.monotonic() - init_started - _run_queue_wait_s(pid)
            if done:
                break
            if not suppressed and init_s >= limit_s:
                # AWS: INIT_REPORT ... Status: timeout, then init is retried inside this invocation under the
                # function's timeout. Here the init goes on: its work so far is not thrown away.
                suppressed = True
                self._log(f"INIT_REPORT Init Duration: {init_s * 1000:.2f} ms Phase: init Status: timeout")
            if suppressed and init_s >= timeout_s:
                ready.cancel()
                await self._discard(worker)
                self._log(f"INIT_REPORT Init Duration: {init_s * 1000:.2f} ms Phase: invoke Status: timeout")
                return None, None, self._timed_out(request_id, timeout_s)
        if not ready.result():
            code = await self._discard(worker)
            return (
                None,
                None,
                {
                    "errorType": "Runtime.InitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited during init with status {code}",
                },
            )
        if not suppressed:
            return worker, None, None
        self._log(f"INIT_REPORT Init Duration: {init_s * 1000:.2f} ms Phase: invoke Status: success")
        return worker, time.monotonic() + max(0.0, timeout_s - init_s), None

    def _log(self, message: str) -> None:
        print(f"[lambda] {self.spec.name} {message}", file=sys.stderr, flush=True)

    def _finish(self, result: InvokeResult, started: float) -> InvokeResult:
        result.duration_ms = (time.monotonic() - started) * 1000
        error = result.error or {}
        status = "ok" if result.ok else f"error {error.get('errorType')}: {str(error.get('errorMessage'))[:300]}"
        print(
            f"[lambda] {self.spec.name} {result.request_id} {status} {result.duration_ms:.1f} ms"
            f"{' (cold)' if result.cold_start else ''}",
            file=sys.stderr,
            flush=True,
        )
        return result

    async def _start_worker(self) -> _Worker:
        """A new execution environment, its init phase begun (it writes a ready line when init is over)."""
        spec = self.spec
        env = {
            **self.base_env,
            **spec.environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "PYTHONPATH": os.pathsep.join([str(spec.code_dir), *map(str, spec.layer_dirs)]),
            "PYTHONUNBUFFERED": "1",
            # the function's own key: presigned URLs name it, so the S3 pass-through knows whose role they carry
            "AWS_ACCESS_KEY_ID": function_access_key_id(spec.name),
        }
        if self.iam_policy_file is not None:
            env[IAM_POLICY_FILE_ENV] = str(self.iam_policy_file)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(_WORKER_MAIN),
            spec.handler,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=str(spec.code_dir),
            limit=_PIPE_LIMIT,
        )
        worker = _Worker(process)
        self._all.add(worker)
        return worker

    async def _discard(self, worker: _Worker) -> int | None:
        self._all.discard(worker)
        if worker.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        code = await worker.process.wait()
        async with self.account.changed:  # a waiting invocation may start a worker in its place
            self.account.changed.notify_all()
        return code

    async def close(self) -> None:
        """Stops every worker of this function."""
        for worker in list(self._all):
            await self._discard(worker)
        self._idle.clear()


def worker_base_env(localstack_endpoint: str, s3_endpoint: str | None = None) -> dict[str, str]:
    """What every worker sees besides its template environment: AWS plumbing pointed at LocalStack, and S3
    at `s3_endpoint` when given (the runtime's pass-through to LocalStack, which checks presigned URLs)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            # boto3 sends every AWS call of the function to LocalStack
            "AWS_ENDPOINT_URL": localstack_endpoint,
        }
    )
    if s3_endpoint is not None:
        env["AWS_ENDPOINT_URL_S3"] = s3_endpoint
    return env
