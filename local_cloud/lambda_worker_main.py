"""One Lambda execution environment: imports the handler once, then serves invocations one at a time.

Run by the runtime as `python <this file> <handler>` with the function's environment (PYTHONPATH: the
function's code, then its layers; stdlib only here, so nothing of the runtime leaks into the function).
Requests arrive as JSON lines on stdin; each answer is one JSON line on the original stdout.
The handler's own prints go to stderr, so they land in the runtime log and cannot corrupt the protocol.

IAM: when the runtime sets LOCAL_CLOUD_IAM_POLICY_FILE (the function's role, see iam_role_policies.py), a
meta-path hook waits for `botocore.handlers` to be imported and then loads iam_enforcement.py, which checks
every AWS SDK call of the function against that role. A function that never imports botocore pays nothing.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from types import ModuleType
from typing import Any

IAM_POLICY_FILE_ENV = "LOCAL_CLOUD_IAM_POLICY_FILE"
#: the package name this folder's IAM modules load under in a worker: not `local_cloud`, which a function
#: must not be able to import (it does not exist in AWS)
_PRIVATE_PACKAGE = "_local_cloud_worker"


class LambdaContext:
    """The context object a Python Lambda handler receives (the attributes AWS documents)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = request["invoked_function_arn"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "error": {
            "errorType": error_type or type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_exception(error),
        }
    }


class _BotocoreHandlersHook:
    """A meta-path finder that lets `botocore.handlers` load as usual, then adds the IAM checks to it."""

    def __init__(self, policy_file: str) -> None:
        self.policy_file = policy_file

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "botocore.handlers":
            return None
        sys.meta_path.remove(self)  # once is enough; the other finders locate the real module
        spec = None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec is not None else None
            if spec is not None:
                break
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenEnforceIam(spec.loader, self.policy_file)
        return spec


class _ThenEnforceIam:
    """Wraps botocore.handlers' loader: executes the module, then installs iam_enforcement on it."""

    def __init__(self, loader: Any, policy_file: str) -> None:
        self._loader = loader
        self._policy_file = policy_file

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        package = ModuleType(_PRIVATE_PACKAGE)
        package.__path__ = [os.path.dirname(os.path.abspath(__file__))]
        sys.modules[_PRIVATE_PACKAGE] = package
        enforcement = importlib.import_module(f"{_PRIVATE_PACKAGE}.iam_enforcement")
        enforcement.install(module, self._policy_file)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename...: the real loader's
        return getattr(self._loader, name)


def main() -> None:
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # this script's folder is not part of the function's code
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    policy_file = os.environ.get(IAM_POLICY_FILE_ENV)
    if policy_file:
        sys.meta_path.insert(0, _BotocoreHandlersHook(policy_file))
    module_name, _, function_name = sys.argv[1].rpartition(".")
    handler: Any = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
    except Exception as error:  # reported as the invocation's result, like Lambda's init errors
        init_error = _error(error, "Runtime.ImportModuleError")
    # the init phase is over: the runtime starts the invocation's timer only now, as Lambda does (unless the
    # init passed the init limit: then, as Lambda's suppressed init, the timer began with the invocation)
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None:
            protocol.write(json.dumps(init_error) + "\n")
            return  # the environment is discarded after an init failure
        try:
            result = handler(request["event"], LambdaContext(request))
            answer = json.dumps({"result": result})
        except Exception as error:
            answer = json.dumps(_error(error))
        protocol.write(answer + "\n")


if __name__ == "__main__":
    main()
