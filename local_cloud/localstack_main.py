"""LocalStack's entry point with one fix to how it plays Step Functions (run by LocalStack's own interpreter).

The fix: a waitForTaskToken task with a heartbeat loses an answer that comes very fast. LocalStack sends the
task's message (SQS here) first and only then sets up the task's heartbeat endpoint; a SendTaskSuccess or
SendTaskFailure that lands in between records the outcome but wakes no heartbeat, so the task then waits the whole
heartbeat and fails with States.HeartbeatTimeout although its answer is there. AWS takes the answer. Seen in the
e2e suite: a job's prepare step refusing its language answered in 43 ms and the job ended `job.timed_out` after
two 3-minute heartbeats instead of `language.unsupported` (docs/local-parity.md, "Step Functions").

Here a heartbeat endpoint set up after the outcome arrived starts woken, so the outcome is read at once.
`fix_fast_task_token_answers` is also what tests/integration/local_cloud/test_localstack_fixes.py runs.
"""

from __future__ import annotations

import sys
from typing import Any


def fix_fast_task_token_answers() -> None:
    """Wraps CallbackEndpoint.setup_heartbeat_endpoint: an outcome already recorded wakes the new endpoint."""
    from localstack.services.stepfunctions.asl.eval.callback.callback import (  # type: ignore[import-not-found]  # LocalStack's own venv
        CallbackEndpoint,
    )

    setup_heartbeat_endpoint = CallbackEndpoint.setup_heartbeat_endpoint
    if getattr(setup_heartbeat_endpoint, "speech_platform_fix", False):
        return

    def setup_then_wake_if_answered(self: Any, heartbeat_seconds: int) -> Any:
        endpoint = setup_heartbeat_endpoint(self, heartbeat_seconds)
        # notify() records the outcome before it looks for a heartbeat endpoint, and this runs after the endpoint
        # is in place: whichever order the two take, an answer wakes the waiting task
        if self.get_outcome() is not None:
            endpoint.notify()
        return endpoint

    setup_then_wake_if_answered.speech_platform_fix = True  # type: ignore[attr-defined]
    CallbackEndpoint.setup_heartbeat_endpoint = setup_then_wake_if_answered


def main() -> None:
    # run as a script: its own folder (local_cloud/) is not a place LocalStack should import from
    sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("local_cloud")]
    fix_fast_task_token_answers()
    from localstack.runtime.main import main as localstack_main  # type: ignore[import-not-found]

    localstack_main()


if __name__ == "__main__":
    main()
