"""The fix local_cloud/localstack_main.py applies to LocalStack, run in LocalStack's own interpreter.

A waitForTaskToken task with a heartbeat: LocalStack sets up the heartbeat endpoint after the task's message is
sent, so an answer recorded before that woke nothing and the task waited out its heartbeat. Each case plays that
order on LocalStack's real CallbackEndpoint (answer first, then the endpoint, then the task's wait) with a 2 s
heartbeat, and prints whether the wait saw the answer and how long it took.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from local_cloud.localstack_process import LOCALSTACK_MAIN, LOCALSTACK_PYTHON

pytestmark = pytest.mark.integration

ANSWER_BEFORE_HEARTBEAT_SETUP = """
import importlib.util, json, sys, time
from localstack.services.stepfunctions.asl.eval.callback.callback import CallbackEndpoint, CallbackOutcomeFailure
if sys.argv[1] == "fixed":
    spec = importlib.util.spec_from_file_location("localstack_main", sys.argv[2])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.fix_fast_task_token_answers()
    module.fix_fast_task_token_answers()  # applied twice: still one wrapper
endpoint = CallbackEndpoint("token-1")
endpoint.notify(CallbackOutcomeFailure("token-1", "language.unsupported", "asr is not available"))
heartbeat = endpoint.setup_heartbeat_endpoint(heartbeat_seconds=2)
started = time.monotonic()
woken = heartbeat.clear_and_wait()
print(json.dumps({"woken": woken, "waited_s": time.monotonic() - started, "error": endpoint.get_outcome().error}))
"""


def _wait_after_an_early_answer(mode: str) -> dict[str, Any]:
    assert LOCALSTACK_PYTHON.exists(), "make setup-localstack installs LocalStack's interpreter"
    done = subprocess.run(
        [str(LOCALSTACK_PYTHON), "-c", ANSWER_BEFORE_HEARTBEAT_SETUP, mode, str(LOCALSTACK_MAIN)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_answer_before_the_heartbeat_endpoint_is_taken_at_once() -> None:
    result = _wait_after_an_early_answer("fixed")
    assert result["woken"] is True
    assert result["error"] == "language.unsupported"
    assert float(result["waited_s"]) < 1.0  # not the 2 s heartbeat


def test_without_the_fix_localstack_waits_out_the_heartbeat() -> None:
    # what the fix is for: if LocalStack itself stops losing the answer, this fails and the fix can go
    result = _wait_after_an_early_answer("stock")
    assert result["woken"] is False
    assert float(result["waited_s"]) >= 1.9
