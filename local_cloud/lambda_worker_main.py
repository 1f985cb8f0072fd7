"""One Lambda execution environment: imports the handler once, then serves invocations one at a time.

Run by the runtime as `python <this file> <handler>` with the function's environment (PYTHONPATH: the
function's code, then its layers; stdlib only here, so nothing of the runtime leaks into the function).
Requests arrive as JSON lines on stdin; each answer is one JSON line on the original stdout.
The handler's own prints go to stderr, so they land in the runtime log and cannot corrupt the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


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


def main() -> None:
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # this script's folder is not part of the function's code
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    module_name, _, function_name = sys.argv[1].rpartition(".")
    handler = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
    except Exception as error:  # reported as the invocation's result, like Lambda's init errors
        init_error = _error(error, "Runtime.ImportModuleError")
    # the init phase is over: the runtime starts the invocation's timer only now, as Lambda does
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
