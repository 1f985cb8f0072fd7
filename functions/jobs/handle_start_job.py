"""Job-start queue -> the job's Step Functions execution (one per attempt), the job running."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from speech_core.batch.deps import get_batch_deps
from speech_core.batch.settings import ConsumerSettings
from speech_core.batch.sqs_entry import sqs_batch_entry
from speech_core.batch.start import start_job
from speech_core.settings import DatabaseSettings, WorkflowSettings, declare_environment

#: what this function reads from its environment (held to the template by tests/infra)
ENVIRONMENT = declare_environment(DatabaseSettings, WorkflowSettings, ConsumerSettings)


def _start(record: SQSRecord) -> None:
    start_job(record.body, get_batch_deps())


handler = sqs_batch_entry(_start)
