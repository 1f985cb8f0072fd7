"""Plays AWS Lambda: each function runs in worker processes with its template environment.

Semantics kept from Lambda: the configured timeout (the worker is killed and the invocation fails with
"Task timed out"), a context with request id and remaining time, warm reuse of idle workers (module state
survives between invocations, cold start on first use or after a crash/timeout), a concurrency cap
(ReservedConcurrentExecutions, else the local default) with throttling for synchronous callers, and the
6 MB synchronous response limit. Each function's AWS SDK calls carry its own access key id and are checked
against its role (LOCAL_CLOUD_IAM_POLICY_FILE, see lambda_worker_main.py and iam_enforcement.py).
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

DEFAULT_MAX_CONCURRENCY = 10  # per function when the template reserves none (AWS has no per-function cap by default)
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
_PIPE_LIMIT = 64 * 1024 * 1024
INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit (imports and module-level code)
_WORKER_MAIN = Path(__file__).with_name("lambda_worker_main.py")


class ThrottledError(RuntimeError):
    """The function is at its concurrency cap (Lambda's TooManyRequestsException, 429)."""


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
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    #: the function's role for its workers to enforce (iam_role_policies.write_policy_file); None: not enforced
    iam_policy_file: Path | None = None
    _idle: list[_Worker] = field(default_factory=list)
    _busy: int = 0
    _slot_freed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _all: set[_Worker] = field(default_factory=set)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.spec.name}"

    async def invoke(self, event: Any, *, wait_for_slot: bool = False) -> InvokeResult:
        """Runs the handler on `event`; raises ThrottledError at the cap unless `wait_for_slot`."""
        async with self._slot_freed:
            if self._busy >= self.max_concurrency:
                if not wait_for_slot:
                    raise ThrottledError(f"Rate Exceeded: {self.spec.name} at concurrency {self.max_concurrency}")
                await self._slot_freed.wait_for(lambda: self._busy < self.max_concurrency)
            self._busy += 1
        try:
            return await self._invoke_in_worker(event)
        finally:
            async with self._slot_freed:
                self._busy -= 1
                self._slot_freed.notify()

    async def _invoke_in_worker(self, event: Any) -> InvokeResult:
        request_id = str(uuid.uuid4())
        cold = not self._idle
        started = time.monotonic()
        worker = self._idle.pop() if self._idle else await self._start_worker()
        result = InvokeResult(request_id=request_id, cold_start=cold)
        if worker is None:
            result.error = {
                "errorType": "Runtime.InitError",
                "errorMessage": f"{request_id} init exited or ran over {INIT_TIMEOUT_S:.0f} s (see the runtime log)",
            }
            return self._finish(result, started)
        started = time.monotonic()
        deadline_ms = int(time.time() * 1000) + self.spec.timeout_s * 1000
        request = {
            "event": event,
            "request_id": request_id,
            "deadline_ms": deadline_ms,
            "invoked_function_arn": self.arn,
        }
        try:
            assert worker.process.stdin is not None and worker.process.stdout is not None
            worker.process.stdin.write(json.dumps(request).encode() + b"\n")
            await worker.process.stdin.drain()
            line = await asyncio.wait_for(worker.process.stdout.readline(), timeout=self.spec.timeout_s)
        except TimeoutError:
            await self._discard(worker)
            result.error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"{request_id} Task timed out after {self.spec.timeout_s:.2f} seconds",
            }
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
                self._idle.append(worker)
        elif len(line) > MAX_RESPONSE_BYTES:
            self._idle.append(worker)
            result.error = {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": f"Response payload size ({len(line)} bytes) exceeded maximum allowed "
                f"payload size ({MAX_RESPONSE_BYTES} bytes).",
            }
        else:
            self._idle.append(worker)
            result.payload = answer["result"]
        return self._finish(result, started)

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

    async def _start_worker(self) -> _Worker | None:
        """A new execution environment once its init phase is done; None when init overran its limit."""
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
        assert process.stdout is not None
        try:
            ready = await asyncio.wait_for(process.stdout.readline(), timeout=INIT_TIMEOUT_S)
        except TimeoutError:
            ready = b""
        if not ready:
            await self._discard(worker)
            return None
        return worker

    async def _discard(self, worker: _Worker) -> int | None:
        self._all.discard(worker)
        if worker.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        return await worker.process.wait()

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
