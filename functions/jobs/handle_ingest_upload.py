"""S3-drop: ObjectCreated under incoming/<tenant>/ (through the s3-events queue) -> job row -> job-start queue."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from speech_core.batch.deps import get_batch_deps
from speech_core.batch.ingest import ingest_s3_event
from speech_core.batch.settings import BatchSettings, ConsumerSettings
from speech_core.batch.sqs_entry import sqs_batch_entry
from speech_core.settings import DatabaseSettings, JobQueueSettings, StorageSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, StorageSettings, JobQueueSettings, BatchSettings, ConsumerSettings)


def _ingest(record: SQSRecord) -> None:
    ingest_s3_event(record.body, get_batch_deps())


handler = sqs_batch_entry(_ingest)
