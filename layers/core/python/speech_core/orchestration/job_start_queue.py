"""The job-start queue: one message per job attempt, `{"job": {"jobId", "tenantId", "attempt"}}`.

Sending the same attempt twice is harmless: the consumer names the execution `<job id>-a<attempt>`, and Step
Functions refuses a second execution of that name.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Protocol

from speech_core.contracts.jobs import JobExecutionInput
from speech_core.observability import tracer


class JobStartQueue(Protocol):
    def send(self, message: JobExecutionInput) -> None: ...


class SqsJobStartQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._queue_url = queue_url

    @tracer.capture_method(capture_response=False)
    def send(self, message: JobExecutionInput) -> None:
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(message.to_wire()))


@lru_cache(maxsize=4)
def get_job_start_queue(queue_url: str) -> SqsJobStartQueue:
    import boto3  # cold start: only the functions that start jobs load boto3's SQS client, on first use

    return SqsJobStartQueue(boto3.client("sqs"), queue_url)
