"""Queues: every SQS queue of the platform, each with its own DLQ (redrive after max_receive_count).

- s3-events:     S3 ObjectCreated under incoming/ (from the ingest bucket's notification)
- job-start:     jobs to start (from POST /v1/jobs and the S3-drop consumer)
- prepare-work:  workflow step tokens for decode/resample/VAD
- gpu-work:      workflow step tokens for chunk transcription; its depth scales the GPU fleet
- assemble-work: workflow step tokens for merging chunks into transcripts
- job-status:    workflow step tokens for recording success/failure
- stream-timers: a stream's deadlines, sent with a delay by the stream function (a gap still open, a dropped
                 stream nobody resumed: speech_core.streaming.stream_timers)

The workflow talks to its workers only through these queues (`sqs:sendMessage.waitForTaskToken`), which
gives back-pressure, retries and a DLQ per step and is the integration LocalStack runs (docs/local-parity.md).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk import names
from infra_cdk.config import StageConfig
from infra_cdk.function_catalog import FUNCTIONS, PLANNED_FUNCTIONS


class QueuePair:
    """A work queue and its dead-letter queue."""

    def __init__(self, queue: sqs.Queue, dlq: sqs.Queue) -> None:
        self.queue = queue
        self.dlq = dlq


class Queues(Construct):
    """All work queues with DLQs; visibility timeouts follow their consumer's timeout."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        prefix = names.resource_prefix(config.stage)
        self.pairs: dict[str, QueuePair] = {}
        for name in names.ALL_QUEUES:
            base_id = "".join(part.capitalize() for part in name.split("-"))
            dlq = sqs.Queue(
                self,
                f"{base_id}Dlq",
                queue_name=f"{prefix}-{name}-dlq",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(config.queues.dlq_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            )
            queue = sqs.Queue(
                self,
                f"{base_id}Queue",
                queue_name=f"{prefix}-{name}",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                # AWS guidance: visibility timeout >= 6x the consumer's timeout, so retries do not overlap.
                visibility_timeout=Duration.seconds(min(6 * _consumer_timeout_s(name), 43200)),
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=config.queues.max_receive_count),
                removal_policy=RemovalPolicy.DESTROY,
            )
            self.pairs[name] = QueuePair(queue, dlq)

    def queue(self, name: str) -> sqs.Queue:
        """The work queue called `name` (one of names.ALL_QUEUES)."""
        return self.pairs[name].queue


def _consumer_timeout_s(queue_name: str) -> int:
    """The timeout of the function that drains `queue_name` (a planned one counts: the queue is sized for it)."""
    for spec in (*FUNCTIONS, *PLANNED_FUNCTIONS):
        if spec.queue_source is not None and spec.queue_source.queue == queue_name:
            return spec.timeout_s
    raise ValueError(f"queue {queue_name!r} has no consumer in the function catalog")
