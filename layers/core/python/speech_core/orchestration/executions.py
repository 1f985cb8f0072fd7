"""Executions of the job state machine, as the jobs API needs them: stopped on cancel and delete."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

from speech_core.observability import tracer

#: the error a stopped execution reports (its history shows why it ended)
CANCELLED_ERROR = "JobCancelled"


class JobExecutions(Protocol):
    def stop(self, execution_arn: str, cause: str) -> bool: ...


class StepFunctionsJobExecutions:
    def __init__(self, client: Any) -> None:
        self._sfn = client

    @tracer.capture_method(capture_response=False)
    def stop(self, execution_arn: str, cause: str) -> bool:
        """Stop an execution; False when it does not exist. Stopping a finished one changes nothing."""
        try:
            self._sfn.stop_execution(executionArn=execution_arn, error=CANCELLED_ERROR, cause=cause[:32_000])
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return False
        return True


@lru_cache(maxsize=1)
def get_job_executions() -> StepFunctionsJobExecutions:
    import boto3  # cold start: only cancel and delete load the Step Functions client, on first use

    return StepFunctionsJobExecutions(boto3.client("stepfunctions"))
