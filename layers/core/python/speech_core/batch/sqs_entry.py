"""Lambda entry points for the batch path's queue consumers: Powertools' batch processor over the SQS records,
with partial batch failures (only the failed records come back), in the house decorator order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from speech_core.batch.deps import BatchDeps, get_batch_deps
from speech_core.batch.messages import TaskMessage
from speech_core.batch.task_worker import Delivery, TaskWorker
from speech_core.observability import logger, metrics, tracer

#: the correlation id of an invocation: its first message's id (Powertools has no SQS path of its own)
_FIRST_MESSAGE_ID = "Records[0].messageId"
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
#: a workflow step: the task message and its delivery -> the task's output
Step = Callable[[TaskMessage, Delivery, BatchDeps], dict[str, Any]]


def sqs_batch_entry(record_handler: Callable[[SQSRecord], None]) -> LambdaHandler:
    """A handler running `record_handler` on each record; a record that raises is reported as a batch item
    failure (SQS redelivers it, then moves it to the queue's DLQ)."""
    processor = BatchProcessor(event_type=EventType.SQS)

    @logger.inject_lambda_context(correlation_id_path=_FIRST_MESSAGE_ID, clear_state=True)
    @metrics.log_metrics(raise_on_empty_metrics=False)
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
        )

    return handler


def delivery_of(record: SQSRecord, max_receives: int) -> Delivery:
    return Delivery(
        body=record.body,
        receipt_handle=record.receipt_handle,
        event_source_arn=record.event_source_arn,
        receive_count=int(record.attributes.approximate_receive_count or 1),
        max_receives=max_receives,
    )


def task_entry(step: Step) -> LambdaHandler:
    """A handler for a workflow step's queue: each record is a task message answered by `TaskWorker`."""

    def record_handler(record: SQSRecord) -> None:
        deps = get_batch_deps()
        delivery = delivery_of(record, deps.consumer.queue_max_receive_count)
        worker = TaskWorker(deps.tasks, deps.delays, on_transient=deps.reset_inference)
        worker.handle(delivery, lambda message, d: step(message, d, deps))

    return sqs_batch_entry(record_handler)
