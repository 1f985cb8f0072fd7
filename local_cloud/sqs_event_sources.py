"""Plays Lambda's SQS event-source mappings against the queues LocalStack holds.

Kept from AWS: batch size and batching window from the template; the SQS event record format; a failed
invocation deletes nothing (the batch becomes visible again after the queue's visibility timeout, and
LocalStack moves a message to the DLQ once its receive count passes maxReceiveCount); with
ReportBatchItemFailures only the records named in `batchItemFailures` stay, and an answer naming an unknown
or empty id fails the whole batch; a poller waits for a free function slot instead of dropping records.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local_cloud.cfn_intrinsics import REGION
from local_cloud.cloudformation_deployer import aws_client
from local_cloud.lambda_workers import FunctionPool
from local_cloud.runtime_plan import EventSourceMappingSpec

_RECEIVE_WAIT_S = 1  # short long-polls keep shutdown quick


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the Lambda SQS event, from a ReceiveMessage message."""
    attributes = {}
    for name, attribute in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": attribute.get("StringValue"),
            "binaryValue": attribute.get("BinaryValue"),
            "stringListValues": attribute.get("StringListValues", []),
            "binaryListValues": attribute.get("BinaryListValues", []),
            "dataType": attribute["DataType"],
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def records_to_keep(answer: Any, message_ids: list[str]) -> set[str] | None:
    """Ids of records that failed per `batchItemFailures`; None when the answer fails the whole batch."""
    if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
        return set()
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    kept = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not item or item not in message_ids:
            return None
        kept.add(item)
    return kept


class SqsPoller:
    """Polls one queue for one mapping and hands batches to the function."""

    def __init__(self, spec: EventSourceMappingSpec, pool: FunctionPool, localstack_endpoint: str) -> None:
        self.spec = spec
        self.pool = pool
        self.sqs = aws_client("sqs", localstack_endpoint)
        queue_name = spec.queue_arn.rsplit(":", 1)[1]
        self.queue_url = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._stopping = asyncio.Event()
        self.batches = 0
        # its own thread for the long-polls: `_collect_batch` holds a thread until a message comes, and the loop's
        # default pool has only cpu+4 threads (6 here), so pollers sharing it starve each other and every other
        # `to_thread` (a batch's delete) once there are more queues than threads
        self._receiver = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqs-{spec.logical_id}")

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Polls until stopped; errors are logged and retried, never end the poller."""
        while not self._stopping.is_set():
            try:
                messages = await asyncio.get_running_loop().run_in_executor(self._receiver, self._collect_batch)
                if messages:
                    await self._process(messages)
            except Exception as error:  # keep polling: a broken batch must not stop the mapping
                print(f"[sqs] {self.spec.logical_id}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
                await asyncio.sleep(1)
        self._receiver.shutdown(wait=False)

    def _collect_batch(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        window_ends: float | None = None
        while len(messages) < self.spec.batch_size and not self._stopping.is_set():
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.spec.batch_size - len(messages)),
                WaitTimeSeconds=_RECEIVE_WAIT_S,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if messages and window_ends is None:
                window_ends = time.monotonic() + self.spec.window_s
            if messages and (self.spec.window_s == 0 or time.monotonic() >= (window_ends or 0)):
                break
        return messages

    async def _process(self, messages: list[dict[str, Any]]) -> None:
        self.batches += 1
        event = {"Records": [sqs_record(m, self.spec.queue_arn) for m in messages]}
        result = await self.pool.invoke(event, wait_for_slot=True)
        if not result.ok:
            return  # the whole batch returns to the queue after its visibility timeout
        ids = [m["MessageId"] for m in messages]
        failed: set[str] | None = set()
        if self.spec.report_batch_item_failures:
            failed = records_to_keep(result.payload, ids)
        if failed is None:
            return
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            await asyncio.to_thread(self.sqs.delete_message_batch, QueueUrl=self.queue_url, Entries=entries)
