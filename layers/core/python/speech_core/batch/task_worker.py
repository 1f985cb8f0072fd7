"""One workflow task message, from its SQS record to the workflow's answer.

The rules every step shares:
- the step's output -> SendTaskSuccess;
- a `StepFailure` (a permanent error the step named) or any `SpeechError` that is not transient ->
  SendTaskFailure with the error's code and message;
- a transient error (Triton unavailable or slow, an unexpected exception such as a dropped database
  connection) -> the message is put back with a growing delay (ChangeMessageVisibility: the visibility timeout
  is the backoff) and reported as a batch item failure, so SQS redelivers it; on its last receive (the queue's
  maxReceiveCount) it becomes a SendTaskFailure instead, so the workflow learns of it now, not at its timeout;
- a job that is no longer running (cancelled) gets nothing written: the task is failed with `JobNotRunning`
  so its execution, if still alive, ends.
A token the workflow no longer waits for (the execution was stopped, or a redelivered message was already
answered) is logged and the message acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from speech_core.batch.messages import TaskMessage
from speech_core.batch.ports import MessageDelay, WorkflowTasks
from speech_core.errors import ErrorCode, SpeechError
from speech_core.observability import logger

#: the SendTaskFailure error of a step that found its job no longer running
JOB_NOT_RUNNING = "JobNotRunning"
_TRANSIENT = {ErrorCode.MODEL_UNAVAILABLE, ErrorCode.MODEL_TIMEOUT}
_GONE_TOKEN_ERRORS = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist", "ExecutionDoesNotExist")


class StepFailure(Exception):  # noqa: N818 - what the workflow receives as Error/Cause
    """A permanent failure of a step: the workflow gets SendTaskFailure(error, cause)."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class JobNotRunning(Exception):  # noqa: N818 - a condition, not a fault
    """The job was cancelled (or finished) while this step waited: nothing may be written for it."""


class RetryLater(Exception):  # noqa: N818 - a condition: SQS redelivers the message
    """A transient failure the step wants retried by redelivery (the cause is kept for the last attempt)."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class Delivery:
    """One SQS delivery of a task message."""

    body: str
    receipt_handle: str
    event_source_arn: str
    receive_count: int
    max_receives: int

    @property
    def is_last(self) -> bool:
        """No redelivery follows this one (the queue moves the message to its DLQ after it)."""
        return self.receive_count >= self.max_receives


def is_transient(error: SpeechError) -> bool:
    return error.code in _TRANSIENT


def backoff_s(receive_count: int) -> int:
    """5 s, 10 s, 20 s ... at most 5 minutes."""
    return int(min(5 * 2 ** max(receive_count - 1, 0), 300))


@dataclass
class TaskWorker:
    """Runs `step(message, delivery)` for each delivery and answers the workflow by the rules above."""

    tasks: WorkflowTasks
    delays: MessageDelay
    #: called on every transient failure (the functions drop their model server connection)
    on_transient: Callable[[], None] | None = None

    def handle(self, delivery: Delivery, step: Callable[[TaskMessage, Delivery], dict[str, Any]]) -> None:
        message = TaskMessage.model_validate_json(delivery.body)
        logger.append_keys(step=message.step)
        try:
            output = step(message, delivery)
        except JobNotRunning as stop:
            logger.info("job not running: nothing written", extra={"reason": str(stop)})
            self._fail(message, JOB_NOT_RUNNING, str(stop))
        except StepFailure as failure:
            logger.warning("step failed", extra={"error": failure.error, "cause": failure.cause})
            self._fail(message, failure.error, failure.cause)
        except RetryLater as retry:
            self._retry_or_fail(message, delivery, retry.error, retry.cause, retry)
        except SpeechError as error:
            if is_transient(error):
                self._retry_or_fail(message, delivery, error.code.value, error.message, error)
            else:
                logger.warning("step failed", extra={"error": error.code.value, "cause": error.message})
                self._fail(message, error.code.value, error.message)
        except Exception as error:
            logger.exception("step raised")
            cause = f"{type(error).__name__}: {error}"
            self._retry_or_fail(message, delivery, ErrorCode.INTERNAL.value, cause, error)
        else:
            self._answer(message, lambda: self.tasks.succeed(message.task_token, output))

    def _retry_or_fail(self, message: TaskMessage, delivery: Delivery, error: str, cause: str, exc: Exception) -> None:
        if self.on_transient is not None:
            self.on_transient()
        if delivery.is_last:
            logger.error("transient failure on the last attempt", extra={"error": error, "cause": cause})
            self._fail(message, error, cause)
            return
        delay = backoff_s(delivery.receive_count)
        logger.warning("transient failure: redelivery", extra={"error": error, "cause": cause, "retry_in_s": delay})
        self.delays.delay(delivery.event_source_arn, delivery.receipt_handle, delay)
        raise exc

    def _fail(self, message: TaskMessage, error: str, cause: str) -> None:
        self._answer(message, lambda: self.tasks.fail(message.task_token, error, cause))

    @staticmethod
    def _answer(message: TaskMessage, send: Callable[[], None]) -> None:
        try:
            send()
        except Exception as error:
            name = _aws_error_name(error)
            if name not in _GONE_TOKEN_ERRORS:
                raise
            logger.info("the workflow no longer waits for this task", extra={"step": message.step, "reason": name})


def _aws_error_name(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
